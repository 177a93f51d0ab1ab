/** Reruns and watcher restarts announce files already archived: they must not pile up DUPLICATE records. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import { createFilesystemTrigger } from '../../../src/adapters/triggers/filesystem.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { builtinInstruments, createIngestor, type Ingestor } from '../../../src/index.js';
import { frameName, makeFrame } from '../../../src/simulator/frames.js';

let dir: string;
let incoming: string;
const running: Ingestor[] = [];
const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-rerun-'));
  incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  mkdirSync(join(dir, 'archive'));
});
afterEach(async () => {
  for (const ingestor of running.splice(0)) await ingestor.stop();
  rmSync(dir, { recursive: true, force: true });
});

function engine(withWatcher = false, wrap: (catalog: Catalog) => Catalog = (c) => c): Ingestor {
  const instruments = builtinInstruments();
  const ingestor = createIngestor({
    instruments,
    catalog: wrap(createSqliteCatalog({ path: join(dir, 'catalog.sqlite'), instruments: [...instruments] })),
    transports: [createFilesystemTransport({ root: join(dir, 'archive') })],
    staging: join(dir, 'staging'),
    stability: { quietMs: 50, pollMs: 20, settleMs: 300 },
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    tickMs: 10,
    ...(withWatcher ? { triggers: [createFilesystemTrigger({ paths: [incoming] })] } : {}),
  });
  running.push(ingestor);
  return ingestor;
}

function writeFrame(n: number, object = 'M13'): string {
  const options = { time: new Date(T.getTime() + n * 60_000), frameNumber: n, axes: [32, 32] as [number, number], object };
  const path = join(incoming, frameName(options));
  writeFileSync(path, makeFrame(options));
  return path;
}

describe('announcing a file already archived from the same path', () => {
  it('answers with its ARCHIVED record and records nothing; other bytes, or a reingest, make a new record', async () => {
    const first = engine();
    await first.start();
    const path = writeFrame(1);
    const a = await first.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    const [settledA] = await first.settled([a.record.id]);
    expect(settledA, JSON.stringify(settledA?.error)).toMatchObject({ state: 'ARCHIVED' });
    await first.stop();

    const second = engine();
    await second.start();
    const again = await second.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    expect(again).toMatchObject({ created: false, alreadyArchived: true, record: { id: a.record.id, state: 'ARCHIVED' } });
    expect(await second.catalog.counts()).toMatchObject({ ARCHIVED: 1 });
    expect((await second.catalog.counts())['DUPLICATE'] ?? 0).toBe(0);

    const reingest = await second.reingest(path);
    expect(reingest.created).toBe(true);
    expect(reingest.alreadyArchived).toBeUndefined();
    await second.settled([reingest.record.id]);

    writeFileSync(path, makeFrame({ time: new Date(T.getTime() + 60_000), frameNumber: 1, axes: [32, 32], object: 'M92' }));
    const changed = await second.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    expect(changed.created).toBe(true);
    expect(changed.record.id).not.toBe(a.record.id);
  });

  it('a watcher restarted over a folder of archived files adds no record', async () => {
    const paths = [writeFrame(1), writeFrame(2), writeFrame(3)];
    const first = engine();
    await first.start();
    const ids = [];
    for (const path of paths) ids.push((await first.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
    await first.settled(ids);
    await first.stop();
    const before = await first.catalog.findRecords({});
    expect(before).toHaveLength(3);

    const watcher = engine(true);
    const announced: string[] = [];
    watcher.on('detected', (r) => announced.push(r.source));
    await watcher.start();
    // The watcher's first scan announces the three files; give it a second to have done so.
    await new Promise((r) => setTimeout(r, 1000));
    const after = await watcher.catalog.findRecords({});
    expect(after.map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
    expect(announced).toEqual([]);
    // A new file in the same folder is still ingested by the restarted watcher.
    const fresh = writeFrame(4);
    for (let i = 0; i < 100 && !(await watcher.catalog.findRecords({ source: fresh, states: ['ARCHIVED'] })).length; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await watcher.catalog.findRecords({ source: fresh, states: ['ARCHIVED'] })).toHaveLength(1);
    expect((await watcher.catalog.counts())['DUPLICATE'] ?? 0).toBe(0);
  });

  it('a file another host archived between the look and the insert is that ARCHIVED record, not a second one', async () => {
    const first = engine();
    await first.start();
    const path = writeFrame(1);
    const a = await first.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    expect((await first.settled([a.record.id]))[0]).toMatchObject({ state: 'ARCHIVED' });
    await first.stop();

    // This host looked for an ARCHIVED record of the path just before the other host's commit, and saw none.
    let hidden = 0;
    const lookedEarly = (catalog: Catalog): Catalog =>
      new Proxy(catalog, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (key !== 'findRecords') return typeof value === 'function' ? value.bind(target) : value;
          return async (query: Parameters<Catalog['findRecords']>[0]) =>
            query.source === path && query.states?.includes('ARCHIVED') && hidden++ === 0 ? [] : target.findRecords(query);
        },
      });
    const second = engine(false, lookedEarly);
    await second.start();
    const again = await second.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    expect(hidden).toBe(1);
    expect(again).toMatchObject({ created: false, alreadyArchived: true, record: { id: a.record.id, state: 'ARCHIVED' } });
    expect(await second.catalog.findRecords({ source: path })).toHaveLength(1);
  });
});
