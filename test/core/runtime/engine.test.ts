import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import { builtinInstruments, createIngestor, verifyFile, type Ingestor } from '../../../src/index.js';
import { frameName, makeBrokenFile, makeFrame } from '../../../src/simulator/frames.js';

let dir: string;
let incoming: string;
let archive: string;
let ingestor: Ingestor;
const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-engine-'));
  incoming = join(dir, 'incoming');
  archive = join(dir, 'archive');
  mkdirSync(incoming);
  mkdirSync(archive);
  ingestor = createIngestor({
    instruments: builtinInstruments(),
    catalog: createMemoryCatalog(),
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(dir, 'staging'),
    stability: { quietMs: 50, pollMs: 20, settleMs: 300 },
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    tickMs: 10,
  });
});
afterEach(async () => {
  await ingestor.stop();
  rmSync(dir, { recursive: true, force: true });
});

function writeFrame(n: number, extra: Partial<Parameters<typeof makeFrame>[0]> = {}): string {
  const options = { time: new Date(T.getTime() + n * 60_000), frameNumber: n, axes: [64, 64] as [number, number], ...extra };
  const path = join(incoming, frameName(options));
  writeFileSync(path, makeFrame(options));
  return path;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('engine', () => {
  it('archives frames end to end: normalized, verified, catalogued, originals untouched', async () => {
    await ingestor.start();
    const paths = [writeFrame(1), writeFrame(2, { kind: 'bias' }), writeFrame(3, { camera: 'RED', extensions: 2 })];
    const before = paths.map(sha);
    const events: string[] = [];
    ingestor.on('archived', (r) => events.push(r.archiveId!));
    const ids = [];
    for (const path of paths) ids.push((await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
    const records = await ingestor.settled(ids);
    expect(records.map((r) => r.state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    expect(records.map((r) => r.archiveId)).toEqual(['KB.20261120.30675.05', 'KB.20261120.30735.05', 'KR.20261120.30795.05']);
    expect(events.sort()).toEqual(records.map((r) => r.archiveId).sort());
    expect(paths.map(sha)).toEqual(before);
    for (const r of records) {
      const file = join(archive, 'KCWI', '20261120', 'lev0', `${r.archiveId}.fits`);
      expect(existsSync(file)).toBe(true);
      expect((await verifyFile(file)).ok).toBe(true);
      const archived = await ingestor.catalog.getArchived(r.archiveId!);
      expect(archived).toMatchObject({ instrument: 'KCWI', night: '2026-11-20', originalName: r.originalName, sha256: sha(file), sourceSha256: r.sourceSha256 });
      expect(archived!.locations[0]!.uri).toBe(file);
    }
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
    const history = await ingestor.catalog.history(records[0]!.id);
    expect(history.map((h) => h.to)).toEqual(['DETECTED', 'STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED', 'ARCHIVED']);
  });

  it('quarantines bad files with their codes while the others go through', async () => {
    await ingestor.start();
    const good = writeFrame(10);
    const base = makeFrame({ time: T, frameNumber: 11, axes: [64, 64] });
    const bad: Record<string, string> = {};
    for (const kind of ['truncated', 'empty', 'missing-end', 'not-fits', 'garbage-header'] as const) {
      bad[kind] = join(incoming, `${kind}.fits`);
      writeFileSync(bad[kind], makeBrokenFile(kind, base));
    }
    const unknown = join(incoming, 'unknown.fits');
    writeFileSync(unknown, makeFrame({ time: T, frameNumber: 12, axes: [8, 8], instrument: 'NOSUCH' }));
    const ids: Record<string, string> = {};
    for (const [name, path] of Object.entries({ good, unknown, ...bad })) {
      ids[name] = (await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now() })).record.id;
    }
    const records = await ingestor.settled(Object.values(ids));
    const byName = Object.fromEntries(Object.keys(ids).map((name, i) => [name, records[i]!]));
    expect(byName['good']!.state).toBe('ARCHIVED');
    expect(Object.fromEntries(Object.entries(byName).filter(([n]) => n !== 'good').map(([n, r]) => [n, `${r.state}:${r.error?.code}`]))).toEqual({
      unknown: 'INVALID:UNKNOWN_INSTRUMENT',
      truncated: 'INVALID:SIZE_OVERRUN',
      empty: 'INVALID:EMPTY_FILE',
      'missing-end': 'INVALID:MISSING_END',
      'not-fits': 'INVALID:NOT_FITS',
      'garbage-header': 'INVALID:BAD_KEYWORD_VALUE',
    });
  });

  it('recognizes a duplicate and does not archive it twice', async () => {
    await ingestor.start();
    const first = writeFrame(20);
    const copy = join(incoming, 'copy-of-frame.fits');
    writeFileSync(copy, readFileSync(first));
    const a = await ingestor.submit({ path: first, trigger: 'test', detectedAt: Date.now(), complete: true });
    await ingestor.settled([a.record.id]);
    const b = await ingestor.submit({ path: copy, trigger: 'test', detectedAt: Date.now(), complete: true });
    const [dup] = await ingestor.settled([b.record.id]);
    expect(dup).toMatchObject({ state: 'DUPLICATE', duplicateOf: a.record.id });
    expect(readdirSync(join(archive, 'KCWI', '20261120', 'lev0')).filter((f) => f.endsWith('.fits'))).toHaveLength(1);
  });

  it('waits for a file that is still being written instead of rejecting it', async () => {
    await ingestor.start();
    const frame = makeFrame({ time: T, frameNumber: 30, axes: [256, 256] });
    const path = join(incoming, 'slow.fits');
    writeFileSync(path, frame.subarray(0, 5000));
    const { record } = await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now() });
    for (let at = 5000; at < frame.length; at += 20000) {
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(path, frame.subarray(0, Math.min(frame.length, at + 20000)));
    }
    const [done] = await ingestor.settled([record.id]);
    expect(done!.state).toBe('ARCHIVED');
  });

  it('reingest supersedes the archived file explicitly', async () => {
    await ingestor.start();
    const path = writeFrame(40);
    const first = await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    await ingestor.settled([first.record.id]);
    const again = await ingestor.reingest(path, 'operator:ana');
    const [second] = await ingestor.settled([again.record.id]);
    expect(second!.state).toBe('ARCHIVED');
    expect((await ingestor.catalog.getRecord(first.record.id))!.state).toBe('SUPERSEDED');
    expect((await ingestor.catalog.getArchived(second!.archiveId!))!.recordId).toBe(second!.id);
  });

  it('keeps the archive id of a file another site already prepared', async () => {
    await ingestor.start();
    const path = writeFrame(50);
    const first = await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    const [archived] = await ingestor.settled([first.record.id]);
    const archivedPath = join(archive, 'KCWI', '20261120', 'lev0', `${archived!.archiveId}.fits`);
    const elsewhere = join(dir, 'site-b');
    mkdirSync(elsewhere);
    const siteB = createIngestor({
      instruments: builtinInstruments(),
      catalog: createMemoryCatalog(),
      transports: [createFilesystemTransport({ root: elsewhere })],
      staging: join(dir, 'staging-b'),
      tickMs: 10,
    });
    await siteB.start();
    const sent = await siteB.submit({ path: archivedPath, trigger: 'http', detectedAt: Date.now(), complete: true, metadata: { prepared: true } });
    const [received] = await siteB.settled([sent.record.id]);
    await siteB.stop();
    expect(received).toMatchObject({ state: 'ARCHIVED', archiveId: archived!.archiveId, warnings: [] });
    expect(readFileSync(join(elsewhere, 'KCWI', '20261120', 'lev0', `${archived!.archiveId}.fits`))).toEqual(readFileSync(archivedPath));
  });

  it('refuses a file whose bytes differ from the size or SHA-256 its announcement gave', async () => {
    await ingestor.start();
    const path = writeFrame(60);
    const good = createHash('sha256').update(readFileSync(path)).digest('hex');
    const wrongSha = await ingestor.submit({ path, trigger: 'mail', detectedAt: Date.now(), complete: true, metadata: { announcedSha256: 'ab'.repeat(32) } });
    const [refused] = await ingestor.settled([wrongSha.record.id]);
    expect(refused).toMatchObject({ state: 'INVALID', error: { code: 'CHECKSUM_MISMATCH' } });
    const right = await ingestor.submit({ path, trigger: 'mail', detectedAt: Date.now(), complete: true, metadata: { announcedSha256: good, announcedSize: readFileSync(path).length } });
    const [accepted] = await ingestor.settled([right.record.id]);
    expect(accepted!.state).toBe('ARCHIVED');
  });
});
