/** The ingestion commands as scripts use them: ingest, watch, status, catalog query, demo. */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameName, makeBrokenFile, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
let dir: string;
let incoming: string;
const T = Date.UTC(2026, 10, 20, 6, 0, 0);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function frame(n: number, folder = incoming, extra: Record<string, unknown> = {}): string {
  const options = { time: new Date(T + n * 61_000 + n * 10), frameNumber: n, axes: [64, 64] as [number, number], ...extra };
  const path = join(folder, frameName(options));
  writeFileSync(path, makeFrame(options));
  return path;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: npm test builds it first');
  dir = mkdtempSync(join(tmpdir(), 'fits-cli-ingest-'));
  incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  for (let n = 1; n <= 6; n++) frame(n);
  writeFileSync(join(incoming, 'broken.fits'), makeBrokenFile('truncated', makeFrame({ time: new Date(T), frameNumber: 99, axes: [64, 64] })));
  writeFileSync(join(incoming, 'notes.txt'), 'not scanned: not a FITS name');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fits-ingest ingest', () => {
  it('prints one JSON line per file with its final state, and exits 1 when a file ends INVALID', async () => {
    const archive = join(dir, 'a1');
    const before = sha(join(incoming, 'broken.fits'));
    const r = await cli('ingest', incoming, '--archive', archive, '--json');
    expect(r.code, r.stderr).toBe(1);
    const lines = r.lines.map((l) => JSON.parse(l) as { file: string; state: string; archiveId: string | null; code?: string });
    expect(lines).toHaveLength(7);
    expect(lines.filter((l) => l.state === 'ARCHIVED')).toHaveLength(6);
    expect(lines.find((l) => l.file.endsWith('broken.fits'))).toMatchObject({ state: 'INVALID', archiveId: null, code: 'SIZE_OVERRUN' });
    expect(sha(join(incoming, 'broken.fits'))).toBe(before);
    for (const l of lines.filter((x) => x.state === 'ARCHIVED')) {
      expect(existsSync(join(archive, 'KCWI', '20261120', 'lev0', `${l.archiveId}.fits`))).toBe(true);
    }
    // Again: everything is already archived from these paths, so it says so and adds no record (no DUPLICATE pile-up).
    const counts = async () => {
      const status = await cli('status', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`, '--json');
      return JSON.parse(status.lines[0]!).counts as Record<string, number>;
    };
    const before2 = await counts();
    for (let run = 0; run < 2; run++) {
      const again = await cli('ingest', incoming, '--archive', archive, '--json');
      const states = again.lines.map((l) => JSON.parse(l) as { state: string; already?: boolean });
      expect(states.filter((l) => l.state === 'ARCHIVED' && l.already)).toHaveLength(6);
      expect(states.filter((l) => l.state === 'INVALID')).toHaveLength(1);
    }
    const after = await counts();
    expect(after['DUPLICATE'] ?? 0).toBe(before2['DUPLICATE'] ?? 0);
    expect(after['ARCHIVED']).toBe(6);
  });

  it('exits 0 when every file is archived, and 2 for usage errors', async () => {
    const ok = await cli('ingest', join(incoming, frameName({ time: new Date(T + 61_010), frameNumber: 1 })), '--archive', join(dir, 'a2'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ARCHIVED {3}.*KB\.20261120\.\d{5}\.\d{2}/);
    expect((await cli('ingest', join(dir, 'nothing-here'), '--archive', join(dir, 'a2'))).code).toBe(2);
    expect((await cli('ingest', incoming, '--archive', join(dir, 'a2'), '--instrument', 'NOSUCH')).stderr).toMatch(/no such instrument/);
    expect((await cli('ingest', incoming)).code).toBe(2);
  });

  it('archives unmatched instruments only with --generic', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    frame(50, other, { instrument: 'MYCAM' });
    const rejected = await cli('ingest', other, '--archive', join(dir, 'a3'), '--json');
    expect(JSON.parse(rejected.lines[0]!)).toMatchObject({ state: 'INVALID', code: 'UNKNOWN_INSTRUMENT' });
    const generic = await cli('ingest', other, '--archive', join(dir, 'a4'), '--json', '--generic');
    expect(JSON.parse(generic.lines[0]!)).toMatchObject({ state: 'ARCHIVED' });
  });

  it('shares the work between engines on worker threads with --workers, archiving each file once', () => {
    const archive = join(dir, 'a5');
    const run = spawnSync(BIN, ['ingest', incoming, '--archive', archive, '--json', '--workers', '3'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(1);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; state: string });
    // One line per file, printed as each ends (in the order they end), every file once.
    expect(new Set(lines.map((l) => l.file)).size).toBe(7);
    expect(lines).toHaveLength(7);
    expect(lines.filter((l) => l.state === 'ARCHIVED')).toHaveLength(6);
    const status = spawnSync(BIN, ['status', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(status.stdout).counts).toMatchObject({ ARCHIVED: 6, INVALID: 1, DUPLICATE: 0 });
    expect(spawnSync(BIN, ['ingest', incoming, '--archive', archive, '--workers', '0']).status).toBe(2);
  });
});

describe('fits-ingest status and catalog query', () => {
  it('report counts, recent problems and archived files by keyword columns', async () => {
    const archive = join(dir, 'a6');
    await cli('ingest', incoming, '--archive', archive);
    const catalog = `sqlite:${join(archive, 'catalog.sqlite')}`;
    const status = await cli('status', '--catalog', catalog, '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { counts: Record<string, number>; recentProblems: { code: string }[] };
    expect(report.counts).toMatchObject({ ARCHIVED: 6, INVALID: 1 });
    expect(report.recentProblems.map((p) => p.code)).toEqual(['SIZE_OVERRUN']);
    const text = await cli('status', '--catalog', catalog);
    expect(text.stdout).toMatch(/ARCHIVED\s+6/);
    const query = await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'kcwi', '--where', 'frameno >= 4', '--json');
    const rows = query.lines.map((l) => JSON.parse(l) as { archiveId: string; columns: { frameno: number } });
    expect(rows.map((r) => r.columns.frameno).sort()).toEqual([4, 5, 6]);
    const nights = await cli('catalog', 'query', '--catalog', catalog, '--from', '2026-11-21');
    expect(nights.lines).toEqual([]);
    const bad = await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'KCWI', '--where', 'nonsense ~ 3');
    expect(bad.code).toBe(2);
    expect((await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'KCWI', '--where', 'nosuchcolumn = 1')).stderr).toMatch(/nosuchcolumn/);
  });
});

describe('fits-ingest watch', () => {
  it('archives files as they arrive and stops gracefully on SIGTERM', async () => {
    const watched = join(dir, 'watched');
    const archive = join(dir, 'a7');
    mkdirSync(watched);
    const existing = frame(60, watched);
    const child = spawn(BIN, ['watch', watched, '--archive', archive, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const lines = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; state: string });
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(ok(), `${out}\n${err}`).toBe(true);
    };
    await until(() => lines().length === 1);
    const added = frame(61, watched);
    await until(() => lines().length === 2);
    expect(lines().map((l) => [l.file, l.state])).toEqual([
      [existing, 'ARCHIVED'],
      [added, 'ARCHIVED'],
    ]);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(err).toMatch(/SIGTERM: finishing files in progress/);
  });
});

describe('fits-ingest demo', () => {
  it('simulates a short night in which every file ends as expected', async () => {
    const r = await cli('demo', '--files', '14', '--duration', '2', '--size', '64', '--dir', join(dir, 'demo'), '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const summary = JSON.parse(r.lines.at(-1)!) as { event: string; counts: Record<string, number>; surprises: unknown[] };
    expect(summary).toMatchObject({ event: 'summary', surprises: [] });
    expect(summary.counts).toMatchObject({ INVALID: 3, DUPLICATE: 1 });
    // 10 frames and the night's 3 attachments (weather table, log, notes).
    expect(summary.counts['ARCHIVED']).toBe(13);
  });
});
