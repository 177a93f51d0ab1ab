import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import { IngestError, isIngestError } from '../../../src/core/errors.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { builtinInstruments, createIngestor, type Ingestor, type IngestorOptions } from '../../../src/index.js';
import { nodeFiles } from '../../../src/io/node-files.js';
import { frameName, makeFrame } from '../../../src/simulator/frames.js';

let dir: string;
let incoming: string;
let archive: string;
let ingestor: Ingestor | undefined;
const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-engine-faults-'));
  incoming = join(dir, 'incoming');
  archive = join(dir, 'archive');
  mkdirSync(incoming);
  mkdirSync(archive);
});
afterEach(async () => {
  await ingestor?.stop();
  ingestor = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function make(options: Partial<IngestorOptions> = {}): Ingestor {
  ingestor = createIngestor({
    instruments: builtinInstruments(),
    catalog: createMemoryCatalog(),
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(dir, 'staging'),
    stability: { quietMs: 0, pollMs: 20, settleMs: 0 },
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    tickMs: 10,
    ...options,
  });
  return ingestor;
}

function writeFrame(n: number): string {
  const options = { time: new Date(T.getTime() + n * 60_000), frameNumber: n, axes: [64, 64] as [number, number] };
  const path = join(incoming, frameName(options));
  writeFileSync(path, makeFrame(options));
  return path;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const item = (path: string) => ({ path, trigger: 'test', detectedAt: Date.now(), complete: true });

describe('engine: a reingest never destroys bytes', () => {
  it('keeps the superseded version at its own location; every location holds the bytes its record says', async () => {
    const engine = make();
    await engine.start();
    const path = writeFrame(40);
    const first = await engine.submit(item(path));
    const [v1] = await engine.settled([first.record.id]);
    const v1File = (await engine.catalog.getArchived(v1!.archiveId!))!;
    const v1Bytes = readFileSync(v1File.locations[0]!.uri);

    // The instrument rewrote the file (same archive id, other bytes); an operator reingests it.
    writeFileSync(path, makeFrame({ time: new Date(T.getTime() + 40 * 60_000), frameNumber: 40, axes: [64, 64], seed: 999 }));
    const again = await engine.reingest(path, 'operator:ana');
    const [v2] = await engine.settled([again.record.id]);
    expect(v2!.state).toBe('ARCHIVED');
    expect(v2!.archiveId).toBe(v1!.archiveId);
    expect((await engine.catalog.getRecord(v1!.id))!.state).toBe('SUPERSEDED');

    const v2File = (await engine.catalog.getArchived(v2!.archiveId!))!;
    expect(v2File.recordId).toBe(v2!.id);
    expect(v2File.locations[0]!.uri).not.toBe(v1File.locations[0]!.uri);
    expect(v2File.locations[0]!.uri).toMatch(/versions\/KB\.[0-9.]+\.v2\.fits$/);
    // Both versions' bytes are intact, each where its catalog location says, matching its record's SHA-256.
    expect(Buffer.compare(readFileSync(v1File.locations[0]!.uri), v1Bytes)).toBe(0);
    expect(sha(v1File.locations[0]!.uri)).toBe(v1File.sha256);
    expect(sha(v2File.locations[0]!.uri)).toBe(v2File.sha256);
    expect(v1File.sha256).not.toBe(v2File.sha256);
    expect(v2!.location).toBe(v2File.locations[0]!.uri);
    // The night's manifest lists both, each with its own digest.
    const manifest = readFileSync(join(archive, 'KCWI', '20261120', 'MANIFEST.sha256'), 'utf8');
    expect(manifest).toContain(`${v1File.sha256}  lev0/${v1!.archiveId}.fits`);
    expect(manifest).toContain(`${v2File.sha256}  lev0/versions/${v2!.archiveId}.v2.fits`);
  });
});

describe('engine: DUPLICATE logic', () => {
  it('copies of one file announced together end as one ARCHIVED and DUPLICATEs, never INVALID, with one archived copy', async () => {
    const engine = make({ concurrency: 8 });
    await engine.start();
    const ids: string[][] = [];
    for (let n = 1; n <= 4; n++) {
      const path = writeFrame(n);
      const copy = join(incoming, `copy_of_${n}.fits`);
      writeFileSync(copy, readFileSync(path));
      const pair = await Promise.all([engine.submit(item(path)), engine.submit(item(copy))]);
      ids.push(pair.map((s) => s.record.id));
    }
    for (const pair of ids) {
      const states = (await engine.settled(pair)).map((r) => r.state).sort();
      expect(states).toEqual(['ARCHIVED', 'DUPLICATE']);
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // copies taken back after the DUPLICATE
    const archived = await engine.catalog.findArchived({});
    const onDisk = readdirSync(archive, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.fits'))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    expect(onDisk).toEqual(archived.map((f) => f.locations[0]!.uri).sort());
    for (const f of archived) expect(sha(f.locations[0]!.uri)).toBe(f.sha256);
  });
});

describe('engine: every resource fault ends', () => {
  it('a read that never returns (a hung mount) fails with STEP_TIMEOUT and the file is given up in bounded time', async () => {
    // An injected FileAccess whose reads of the source never resolve stands in for a hung NFS mount.
    const real = nodeFiles();
    const hang = new Promise<never>(() => {});
    const files = {
      ...real,
      readRange: (path: string, offset: number, length: number) => (path.startsWith(incoming) ? hang : real.readRange(path, offset, length)),
    };
    const engine = make({ files, stepTimeoutMs: 200 });
    await engine.start();
    const path = writeFrame(1);
    const started = Date.now();
    const { record } = await engine.submit(item(path));
    const [done] = await engine.settled([record.id]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done).toMatchObject({ state: 'ABANDONED', error: { code: 'STEP_TIMEOUT' } });
  });

  it('a catalog that refuses every write halts the engine with ENGINE_HALTED (cause CATALOG_FULL) instead of retrying forever', async () => {
    const inner = createMemoryCatalog();
    let full = false;
    const catalog: Catalog = {
      ...inner,
      updateRecord: async (record, entry) => {
        if (full) throw new IngestError('CATALOG_FULL', 'database or disk is full');
        return inner.updateRecord(record, entry);
      },
      commitArchived: async (...args) => {
        if (full) throw new IngestError('CATALOG_FULL', 'database or disk is full');
        return inner.commitArchived(...args);
      },
    };
    const engine = make({ catalog });
    const halts: IngestError[] = [];
    engine.on('halted', (e) => halts.push(e));
    engine.on('error', () => {});
    await engine.start();
    const ids = [];
    for (let n = 1; n <= 3; n++) ids.push((await engine.submit(item(writeFrame(n)))).record.id);
    full = true;
    const started = Date.now();
    const error = await engine.settled(ids).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(isIngestError(error, 'ENGINE_HALTED')).toBe(true);
    expect((error as IngestError).message).toContain('CATALOG_FULL');
    expect(halts).toHaveLength(1);
    // The catalog still says where each file was: the next start resumes it.
    full = false;
    await engine.stop();
    await engine.start();
    const records = await engine.settled(ids);
    expect(records.map((r) => r.state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
  });
});
