/**
 * `fits-ingest scrub` on a real archive made by `fits-ingest ingest` with a copy on media volumes (`media write`):
 * damage of every kind is named with the right problem, `--repair` restores byte-identically and keeps the bad
 * bytes aside, the stray file is reported and never deleted.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { cli } from '../helpers/cli.js';
import { ingestedArchive } from '../helpers/frames.js';

const T = Date.UTC(2026, 10, 20, 6, 0, 0);
let dir: string;
let archive: string;
let vols: string;
const spec = () => `sqlite:${join(archive, 'catalog.sqlite')}`;
interface Location { uri: string; transport: string; verifiedAt: number; medium?: { volume: string; copy: number; member: number; offset: number; serial: number } }
interface Row { archiveId: string; recordId: string; sha256: string; size: number; locations: Location[] }
const rows = async (): Promise<Row[]> => (await cli('catalog', 'query', '--catalog', spec(), '--json')).lines.map((l) => JSON.parse(l) as Row);
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
interface Line { archiveId: string | null; uri: string; problem: string; detail: string; repaired?: { from: string; keptAside?: string }; summary?: true; [k: string]: unknown }
const scrub = async (...args: string[]) => {
  const r = await cli('scrub', '--archive', archive, '--json', ...args);
  const lines = r.lines.map((l) => JSON.parse(l) as Line);
  return { code: r.code, stderr: r.stderr, problems: lines.filter((l) => !l.summary), summary: lines.find((l) => l.summary)! };
};
const flip = (path: string, at: number): void => {
  const bytes = readFileSync(path);
  bytes[at] = bytes[at]! ^ 0x5a;
  writeFileSync(path, bytes);
};

beforeAll(async () => {
  ({ dir, archive, vols } = await ingestedArchive('fits-cli-scrub-', 6, T));
  const w = await cli('media', 'write', '--catalog', spec(), '--out', vols, '--volume-size', '48K', '--copies', '2');
  expect(w.code, w.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fits-ingest scrub', () => {
  it('has --help', async () => {
    const r = await cli('scrub', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--repair');
  });

  it('verifies every copy of an intact archive (archive copies and both media copies), refreshing verifiedAt; exit 0', async () => {
    const before = Date.now();
    const r = await scrub();
    expect(r.code, r.stderr + JSON.stringify(r.problems)).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.summary).toMatchObject({ ok: true, complete: true, files: 6, copies: 18, verified: 18, problems: 0 });
    for (const row of await rows()) for (const l of row.locations) expect(l.verifiedAt).toBeGreaterThanOrEqual(before);
    expect(Date.parse(r.summary['oldestVerifiedAt'] as string)).toBeGreaterThanOrEqual(before);
  });

  it('names a flipped byte in an archived copy and in a media member, a deleted copy and a stray file; exit 1; --repair restores, keeps the bad bytes, never deletes the stray', async () => {
    const files = await rows();
    const archived = (row: Row) => row.locations.find((l) => l.transport === 'filesystem')!;
    const member = (row: Row, copy: number) => row.locations.find((l) => l.medium?.copy === copy)!;
    const [a, b, c] = files;
    const originals = new Map(files.map((f) => [f.archiveId, readFileSync(archived(f).uri)]));
    // A byte of the data unit of a's archived copy; one of b's member in volume copy 1; c's archived copy deleted.
    flip(archived(a!).uri, a!.size - 3000); // inside the data unit
    const volumePath = member(b!, 1).uri.split('#')[0]!;
    const volumeBefore = readFileSync(volumePath);
    flip(volumePath, member(b!, 1).medium!.offset + b!.size - 2999);
    unlinkSync(archived(c!).uri);
    const sidecarOfC = `${archived(c!).uri}.json`;
    const sidecarBefore = JSON.parse(readFileSync(sidecarOfC, 'utf8')) as Record<string, unknown>;
    unlinkSync(sidecarOfC); // lost with its file
    const stray = join(dirname(archived(a!).uri), 'stray.fits');
    copyFileSync(archived(files[3]!).uri, stray);

    const found = await scrub();
    expect(found.code).toBe(1);
    const byUri = Object.fromEntries(found.problems.map((p) => [p.uri, p]));
    expect(Object.keys(byUri).sort()).toEqual([archived(a!).uri, member(b!, 1).uri, archived(c!).uri, stray].sort());
    expect(byUri[archived(a!).uri]).toMatchObject({ archiveId: a!.archiveId, problem: 'CORRUPT' });
    expect(byUri[archived(a!).uri]!.detail).toMatch(/DATASUM/);
    expect(byUri[member(b!, 1).uri]).toMatchObject({ archiveId: b!.archiveId, problem: 'CORRUPT' });
    expect(byUri[archived(c!).uri]).toMatchObject({ archiveId: c!.archiveId, problem: 'MISSING' });
    expect(byUri[stray]).toMatchObject({ archiveId: null, problem: 'UNCATALOGED' });
    expect(found.summary).toMatchObject({ ok: false, problems: 4, repaired: 0 });

    // Each problem is in the file's history; the record keeps its state.
    const catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite') });
    await catalog.init();
    const causes = async (row: Row) => (await catalog.history(row.recordId)).filter((e) => e.cause.startsWith('SCRUB_')).map((e) => [e.from, e.to, e.cause]);
    expect(await causes(a!)).toEqual([['ARCHIVED', 'ARCHIVED', 'SCRUB_CORRUPT']]);
    expect(await causes(c!)).toEqual([['ARCHIVED', 'ARCHIVED', 'SCRUB_MISSING']]);
    // The stray file gets its own record and history, INVALID (nothing ingests it on its own), once.
    const strayRecordId = byUri[stray]!['recordId'] as string;
    expect(strayRecordId).toBeTypeOf('string');
    expect(await catalog.getRecord(strayRecordId)).toMatchObject({ state: 'INVALID', source: stray, error: { code: 'UNCATALOGED' } });
    expect((await catalog.history(strayRecordId)).map((e) => [e.from, e.to, e.actor])).toEqual([[null, 'DETECTED', 'scrub'], ['DETECTED', 'INVALID', 'scrub']]);

    const repaired = await scrub('--repair');
    expect(repaired.code).toBe(1); // the stray file is still there
    expect(repaired.problems.filter((p) => !p.repaired).map((p) => [p.problem, p.uri])).toEqual([['UNCATALOGED', stray]]);
    expect(repaired.problems.filter((p) => p.repaired).map((p) => p.uri).sort()).toEqual([archived(a!).uri, member(b!, 1).uri, archived(c!).uri].sort());
    for (const row of [a!, c!]) expect(sha(readFileSync(archived(row).uri))).toBe(row.sha256);
    expect(readFileSync(archived(a!).uri).equals(originals.get(a!.archiveId)!)).toBe(true);
    expect(readFileSync(archived(c!).uri).equals(originals.get(c!.archiveId)!)).toBe(true);
    expect(readFileSync(volumePath).equals(volumeBefore)).toBe(true);
    // The bad bytes are kept aside, not destroyed; the stray file is untouched.
    const aside = readdirSync(dirname(archived(a!).uri)).filter((n) => n.includes('.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(sha(readFileSync(join(dirname(archived(a!).uri), aside[0]!)))).not.toBe(a!.sha256);
    expect(readdirSync(vols).some((n) => n.includes('.corrupt-') && n.endsWith(`.member${member(b!, 1).medium!.member}`))).toBe(true);
    expect(existsSync(stray)).toBe(true);
    expect((await catalog.findRecords({ source: stray })).map((r) => r.id)).toEqual([strayRecordId]);
    // c's sidecar, lost with it, is written again from the catalog.
    expect(repaired.problems.find((p) => p.uri === archived(c!).uri)!.repaired).toMatchObject({ sidecar: sidecarOfC });
    const sidecarAfter = JSON.parse(readFileSync(sidecarOfC, 'utf8')) as Record<string, unknown>;
    for (const key of ['archiveId', 'recordId', 'instrument', 'level', 'night', 'originalName', 'size', 'sha256', 'hdus']) expect(sidecarAfter[key], key).toEqual(sidecarBefore[key]);
    expect(sidecarAfter['metadata']).toMatchObject({ restoredBy: 'scrub', sourceSha256: (sidecarBefore['metadata'] as Record<string, unknown>)['sourceSha256'] });
    expect(existsSync(`${archived(a!).uri}.json`)).toBe(true);
    expect(await causes(a!)).toEqual([['ARCHIVED', 'ARCHIVED', 'SCRUB_CORRUPT'], ['ARCHIVED', 'ARCHIVED', 'SCRUB_CORRUPT'], ['ARCHIVED', 'ARCHIVED', 'SCRUB_REPAIRED']]);
    await catalog.close();
    // `media verify` agrees the volume is whole again.
    const verify = await cli('media', 'verify', volumePath, '--catalog', spec());
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // Only the stray file is left; once the operator moves it out of the archive, the scrub exits 0.
    const again = await scrub();
    expect(again.problems.map((p) => p.problem)).toEqual(['UNCATALOGED']);
    renameSync(stray, join(dir, 'stray.fits'));
    const clean = await scrub();
    expect(clean.code, JSON.stringify(clean.problems)).toBe(0);
    expect(clean.summary).toMatchObject({ ok: true, verified: 18 });
  });

  it('reports LOST, loudly, when no copy of a file is good', async () => {
    const row = (await rows())[4]!;
    const paths = row.locations.map((l) => l.uri.split('#')[0]!);
    const saved = paths.map((path) => readFileSync(path));
    for (const l of row.locations) flip(l.uri.split('#')[0]!, (l.medium?.offset ?? 0) + row.size - 3001);
    const r = await cli('scrub', '--archive', archive, '--repair');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`LOST ${row.archiveId}`);
    expect(r.stdout).toMatch(new RegExp(`^LOST +${row.archiveId.replace(/\./g, '\\.')}`, 'm'));
    paths.forEach((path, i) => writeFileSync(path, saved[i]!)); // leave a conforming archive behind
  });

  it('rejects bad options with exit 2', async () => {
    expect((await cli('scrub', '--archive', archive, '--rate', 'fast')).code).toBe(2);
    expect((await cli('scrub', '--archive', archive, '--for', 'soon')).code).toBe(2);
    expect((await cli('scrub')).code).toBe(2);
  });
});
