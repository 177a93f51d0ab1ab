/** The in-memory FileAccess of fits-ingest/testing and its injected faults. */
import { describe, expect, it } from 'vitest';
import { IngestError } from '../../src/core/errors.js';
import { createManualClock, createMemoryFiles } from '../../src/testing/index.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
async function readAll(iterable: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of iterable) out.push(...chunk);
  return out;
}

describe('createMemoryFiles', () => {
  it('stores, stats, reads ranges and chunks, writes at offsets, renames, lists and removes', async () => {
    const clock = createManualClock({ now: 5000 });
    const files = createMemoryFiles({ clock, chunkSize: 7 });
    files.put('/in/a.fits', bytes(20));
    expect(await files.stat('/in/a.fits')).toMatchObject({ size: 20, mtimeMs: 5000 });
    expect(await readAll(files.read('/in/a.fits', { start: 3, end: 12 }))).toEqual([...bytes(20)].slice(3, 12));
    expect([...(await files.readRange('/in/a.fits', 15, 10))]).toEqual([...bytes(20)].slice(15));
    const out = await files.create('/stage/x.part');
    await out.write(Uint8Array.of(1, 2, 3));
    await out.writeAt(Uint8Array.of(9), 1);
    await out.sync();
    await out.close();
    await files.rename('/stage/x.part', '/stage/x');
    expect([...files.get('/stage/x')!]).toEqual([1, 9, 3]);
    expect(await files.list('/stage')).toEqual(['/stage/x']);
    await files.remove('/stage/x');
    expect(await files.stat('/stage/x')).toBeUndefined();
    const hash = files.sha256();
    hash.update(new TextEncoder().encode('abc'));
    expect(hash.digest()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('moves the mtime on with every write, even when the clock stands still', async () => {
    const files = createMemoryFiles({ clock: createManualClock({ now: 100 }) });
    files.put('/a', bytes(1));
    const first = (await files.stat('/a'))!.mtimeMs;
    files.append('/a', bytes(1));
    expect((await files.stat('/a'))!.mtimeMs).toBeGreaterThan(first);
  });

  it('injects failures, short reads, changes during a read, and holds', async () => {
    const files = createMemoryFiles({ chunkSize: 8 });
    files.put('/a', bytes(32));
    files.fail('/a', 'stat', new IngestError('IO_ERROR', 'EIO'), 2);
    await expect(files.stat('/a')).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(files.stat('/a')).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(await files.stat('/a')).toMatchObject({ size: 32 });

    files.onRead('/a', { atOffset: 12, short: true, operation: 'read' });
    expect(await readAll(files.read('/a'))).toHaveLength(12);
    expect(await readAll(files.read('/a'))).toHaveLength(32); // used up

    files.onRead('/a', { atOffset: 20, short: true });
    expect(await files.readRange('/a', 16, 16)).toHaveLength(4);

    files.onRead('/a', { atOffset: 16, change: (f) => f.put('/a', new Uint8Array(40).fill(7)) });
    const changed = await readAll(files.read('/a'));
    expect(changed.slice(0, 16)).toEqual([...bytes(32)].slice(0, 16));
    expect(changed.slice(16)).toEqual(new Array(24).fill(7)); // the rest of the new file

    const release = files.hold('/a');
    let done = false;
    const pending = files.stat('/a').then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    await pending;
    expect(done).toBe(true);
    expect(files.calls.stat).toBe(4);
  });
});
