import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SyncBatch } from '../../src/io/sync-batch.js';

/** A flush function whose calls are recorded and finish only when the test says so. */
function gated() {
  const calls: { path: string; finish: (error?: Error) => void }[] = [];
  const flush = (path: string): Promise<void> =>
    new Promise<void>((resolve, reject) => calls.push({ path, finish: (error) => (error ? reject(error) : resolve()) }));
  return { calls, flush };
}

/** Lets queued promise callbacks run (no timer involved). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('SyncBatch (batch durability)', () => {
  it('callers in the same turn share one pass; each path is flushed once', async () => {
    const files = gated();
    const dirs = gated();
    const batch = new SyncBatch(files.flush, dirs.flush);
    let done = 0;
    const waits = [batch.sync(['a', 'b']), batch.sync(['b', 'c'], ['d1']), batch.sync([], ['d1'])].map((p) => p.then(() => done++));
    await settle();
    expect(files.calls.map((c) => c.path).sort()).toEqual(['a', 'b', 'c']);
    expect(dirs.calls.map((c) => c.path)).toEqual(['d1']);
    expect(done).toBe(0); // nobody returns before its flushes finished
    for (const call of [...files.calls, ...dirs.calls]) call.finish();
    await Promise.all(waits);
    expect(batch.stats).toEqual({ passes: 1, files: 3, dirs: 1 });
  });

  it('a caller arriving while a pass runs gets a new pass of its own, never the flush that began before it', async () => {
    const files = gated();
    const batch = new SyncBatch(files.flush, files.flush);
    let firstDone = false;
    const first = batch.sync(['a']).then(() => (firstDone = true));
    await settle();
    expect(files.calls).toHaveLength(1);
    let laterDone = false;
    const later = Promise.all([batch.sync(['a']), batch.sync(['b'])]).then(() => (laterDone = true));
    await settle();
    // 'a' is being flushed, but that flush began before the later caller asked: a new one starts at once.
    expect(files.calls.map((c) => c.path)).toEqual(['a', 'a', 'b']);
    files.calls[0]!.finish();
    await first;
    await settle();
    expect(firstDone).toBe(true);
    expect(laterDone).toBe(false);
    files.calls[1]!.finish();
    files.calls[2]!.finish();
    await later;
    expect(batch.stats).toEqual({ passes: 2, files: 3, dirs: 0 });
  });

  it('a failed flush fails only the callers that asked for that path', async () => {
    const files = gated();
    const batch = new SyncBatch(files.flush, files.flush);
    const bad = batch.sync(['bad', 'x']);
    const good = batch.sync(['x']);
    await settle();
    files.calls.find((c) => c.path === 'bad')!.finish(new Error('EIO'));
    files.calls.find((c) => c.path === 'x')!.finish();
    await expect(bad).rejects.toThrow('EIO');
    await expect(good).resolves.toBeUndefined();
    // The next pass runs normally.
    const next = batch.sync(['y']);
    await settle();
    files.calls.at(-1)!.finish();
    await expect(next).resolves.toBeUndefined();
  });

  it('flushes real files and directories (fdatasync, fsync) and reports a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fits-ingest-sync-batch-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const paths = ['a', 'b', 'c'].map((n) => join(dir, n));
    for (const path of paths) writeFileSync(path, 'bytes');
    const batch = new SyncBatch();
    await Promise.all([batch.sync(paths.slice(0, 2), [dir]), batch.sync(paths.slice(1), [dir])]);
    expect(batch.stats).toEqual({ passes: 1, files: 3, dirs: 1 });
    await expect(batch.sync([join(dir, 'missing')])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
