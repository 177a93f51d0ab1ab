/**
 * The operator commands on a real SQLite catalog and archive: `requeue` brings an INVALID file back once the
 * instrument rewrote it, `reingest` by archive id keeps the version it replaces, `history` shows both with the
 * operator as actor, and `status --stuck` lists files unchanged for too long in a non-final state.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { createRecord, detectedEntry } from '../../src/core/lifecycle/record.js';
import { builtinInstruments } from '../../src/index.js';
import { frameName, makeBrokenFile, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';

let dir: string;
let archive: string;
let spec: string;
let source: string;
let good: Uint8Array;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
type Line = { state: string; recordId: string; archiveId: string | null; file: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-cli-operator-'));
  archive = join(dir, 'archive');
  mkdirSync(join(dir, 'in'), { recursive: true });
  spec = `sqlite:${join(archive, 'catalog.sqlite')}`;
  const options = { time: new Date(Date.UTC(2026, 10, 20, 9, 0, 0)), frameNumber: 12, axes: [64, 64] as [number, number] };
  source = join(dir, 'in', frameName(options));
  good = makeFrame(options);
  writeFileSync(source, makeBrokenFile('truncated', good));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('operator commands', () => {
  let recordId: string;
  let archiveId: string;

  it('requeue: an INVALID file, rewritten by the instrument, is archived; the history shows who requeued it', async () => {
    const first = await cli('ingest', source, '--archive', archive, '--json', '--quiet', '100');
    const line = JSON.parse(first.lines[0]!) as Line;
    expect(line.state).toBe('INVALID');
    recordId = line.recordId;
    // Archived records cannot be requeued; an unknown id is named.
    const unknown = await cli('requeue', 'KB.20261120.99999.99', '--archive', archive);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('KB.20261120.99999.99');

    writeFileSync(source, good);
    const requeued = await cli('requeue', recordId, '--archive', archive, '--actor', 'ana', '--json');
    expect(requeued.stderr).toBe('');
    expect(requeued.code).toBe(0);
    const done = JSON.parse(requeued.lines[0]!) as Line;
    expect(done).toMatchObject({ state: 'ARCHIVED', recordId });
    archiveId = done.archiveId!;

    const history = await cli('history', archiveId, '--catalog', spec, '--json');
    const [entry] = history.lines.map((l) => JSON.parse(l) as { recordId: string; history: { cause: string; actor: string; to: string }[] });
    expect(entry!.recordId).toBe(recordId);
    expect(entry!.history.map((h) => h.cause)).toEqual(['DETECTED', 'INVALID', 'REQUEUE', 'STABLE', 'PREPARED', 'TRANSFER_STARTED', 'TRANSFERRED', 'ARCHIVED']);
    expect(entry!.history.find((h) => h.cause === 'REQUEUE')!.actor).toBe('operator:ana');
    const again = await cli('requeue', archiveId, '--archive', archive);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('use fits-ingest reingest');
  });

  it('reingest by archive id, with the source gone: a new version from the archived copy; the old one stays', async () => {
    unlinkSync(source);
    const before = createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
    await before.init();
    const old = (await before.getArchived(archiveId))!;
    const oldBytes = readFileSync(old.locations[0]!.uri);
    await before.close();

    const result = await cli('reingest', archiveId, '--archive', archive, '--actor', 'ben', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const line = JSON.parse(result.lines[0]!) as Line;
    expect(line).toMatchObject({ state: 'ARCHIVED', archiveId });
    expect(line.recordId).not.toBe(recordId);
    expect(sha(readFileSync(old.locations[0]!.uri))).toBe(sha(oldBytes));

    const history = (await cli('history', archiveId, '--catalog', spec, '--json')).lines.map((l) => JSON.parse(l) as { recordId: string; state: string; history: { actor: string }[] });
    expect(history.map((h) => [h.recordId, h.state])).toEqual([[line.recordId, 'ARCHIVED'], [recordId, 'SUPERSEDED']]);
    expect(history[0]!.history[0]!.actor).toBe('operator:ben');
    const text = await cli('history', recordId, '--catalog', spec);
    expect(text.stdout).toMatch(/ARCHIVED\s+→ SUPERSEDED\s+SUPERSEDE\s+reingest/);
  });

  it('status --stuck lists files in a non-final state unchanged for longer than --older-than (exit 1), and only those', async () => {
    const catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
    await catalog.init();
    const hourAgo = Date.now() - 3_600_000;
    const stuck = createRecord({ id: '0b7e8f1c-5d0a-4a56-9c1e-2f4b6d8a0c11', source: '/data/kb261120_00099.fits', originalName: 'kb261120_00099.fits', trigger: 'fs' }, hourAgo);
    await catalog.insertRecord(stuck, detectedEntry(stuck));
    await catalog.close();

    const found = await cli('status', '--stuck', '--older-than', '15m', '--catalog', spec, '--json');
    expect(found.code).toBe(1);
    expect(found.lines.map((l) => (JSON.parse(l) as { recordId: string; state: string }).recordId)).toEqual([stuck.id]);
    const none = await cli('status', '--stuck', '--older-than', '2h', '--catalog', spec);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('0 file(s)');
    expect((await cli('status', '--stuck', '--older-than', 'soon', '--catalog', spec)).code).toBe(2);

    // --no-run records the requeue for a running ingestor; the record is DETECTED again.
    const failed = createRecord({ id: '1c8f9a2d-6e1b-4b67-8d2f-3a5c7e9b1d22', source: '/data/gone.fits', originalName: 'gone.fits', trigger: 'fs' }, hourAgo);
    const again = createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
    await again.init();
    await again.insertRecord(failed, detectedEntry(failed));
    await again.updateRecord({ ...failed, state: 'INVALID', version: 2, error: { code: 'NOT_FITS', kind: 'invalid', message: 'x' } }, { recordId: failed.id, at: hourAgo, from: 'DETECTED', to: 'INVALID', cause: 'INVALID', actor: 'runtime' });
    await again.close();
    const noRun = await cli('requeue', failed.id, '--no-run', '--archive', archive, '--actor', 'cy');
    expect(noRun.code).toBe(0);
    expect(noRun.stdout).toContain('REQUEUED');
    const history = await cli('history', failed.id, '--catalog', spec, '--json');
    const entry = JSON.parse(history.lines[0]!) as { state: string; history: { cause: string; actor: string }[] };
    expect(entry.state).toBe('DETECTED');
    expect(entry.history.at(-1)).toMatchObject({ cause: 'REQUEUE', actor: 'operator:cy' });
  });
});
