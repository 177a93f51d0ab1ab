/**
 * Reconciliation brackets the storage listing between two catalog reads: a file ingested while the scrub lists
 * the storage is never reported, whenever its commit falls; a stray file is.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { createFilesystemTransport } from '../../src/adapters/transports/filesystem.js';
import type { Catalog } from '../../src/core/ports/catalog.js';
import { builtinInstruments, createIngestor } from '../../src/index.js';
import { reconcile } from '../../src/scrub/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';

const T = Date.UTC(2026, 10, 21, 5, 0, 0);
let dir: string;
let archive: string;

/** An ingestor whose commits wait for `release()` while `hold` is set: a file placed in storage but not yet cataloged. */
function setup() {
  const sqlite = createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
  const gate = { hold: false, waiting: [] as (() => void)[], reached: [] as (() => void)[] };
  const catalog: Catalog = Object.create(sqlite) as Catalog;
  catalog.commitArchived = async (...args) => {
    if (gate.hold) {
      gate.reached.splice(0).forEach((r) => r());
      await new Promise<void>((resolve) => gate.waiting.push(resolve));
    }
    return sqlite.commitArchived(...args);
  };
  const ingestor = createIngestor({ instruments: builtinInstruments(), catalog, transports: [createFilesystemTransport({ root: archive })], staging: join(archive, '.staging'), tickMs: 10 });
  const frame = (n: number) => {
    const options = { time: new Date(T + n * 61_000), frameNumber: n, axes: [32, 32] as [number, number] };
    const path = join(dir, 'incoming', frameName(options));
    writeFileSync(path, makeFrame(options));
    return path;
  };
  const ingest = async (n: number) => {
    const { record } = await ingestor.submit({ path: frame(n), trigger: 'test', detectedAt: Date.now(), complete: true });
    return record.id;
  };
  /** Starts ingesting frame n and resolves once its bytes are in storage and its commit is held. */
  const placeHeld = async (n: number) => {
    gate.hold = true;
    const reached = new Promise<void>((resolve) => gate.reached.push(resolve));
    const id = await ingest(n);
    await reached;
    return id;
  };
  const release = () => {
    gate.hold = false;
    gate.waiting.splice(0).forEach((r) => r());
  };
  return { sqlite, ingestor, ingest, placeHeld, release };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-reconcile-'));
  archive = join(dir, 'archive');
  mkdirSync(archive);
  mkdirSync(join(dir, 'incoming'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reconcile', () => {
  it('never reports a file whose commit falls during the listing, between the reads, or after both', async () => {
    const { sqlite, ingestor, ingest, placeHeld, release } = setup();
    await ingestor.start();
    const [first] = await ingestor.settled([await ingest(1)]);
    expect(first!.state).toBe('ARCHIVED');

    // Committed after the first read, before the listing: listed, in the second read only.
    let second = '';
    const early = await reconcile(sqlite, archive, {
      hooks: {
        afterFirstRead: async () => {
          [second] = [await ingest(2)];
          await ingestor.settled([second]);
        },
      },
    });
    expect(early).toMatchObject({ uncataloged: [], missing: [], listed: 2, cataloged: 2 });

    // Placed in storage before the listing, committed after it (before the second read).
    const third = await placeHeld(3);
    const between = await reconcile(sqlite, archive, {
      hooks: {
        afterListing: async () => {
          release();
          await ingestor.settled([third]);
        },
      },
    });
    expect(between).toMatchObject({ uncataloged: [], missing: [], listed: 3, cataloged: 3 });

    // Placed before the listing, committed only after the whole reconciliation: its record is still being ingested.
    const fourth = await placeHeld(4);
    const after = await reconcile(sqlite, archive);
    expect(after).toMatchObject({ uncataloged: [], missing: [], listed: 4, cataloged: 3 });
    release();
    expect((await ingestor.settled([fourth]))[0]!.state).toBe('ARCHIVED');

    // The check can fail: a stray FITS file and a deleted copy are named.
    const stray = join(archive, 'stray.fits');
    writeFileSync(stray, makeFrame({ time: new Date(T), frameNumber: 99, axes: [8, 8] }));
    const [gone] = await sqlite.findArchived({ limit: 1 });
    rmSync(gone!.locations[0]!.uri);
    const found = await reconcile(sqlite, archive);
    expect(found.uncataloged).toEqual([stray]);
    expect(found.missing.map((m) => m.uri)).toEqual([gone!.locations[0]!.uri]);
    await ingestor.stop();
    await sqlite.close();
  });
});
