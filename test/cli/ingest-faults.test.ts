/**
 * Every resource fault ends (issue 10): `fits-ingest ingest` with its catalog, its archive or its staging directory
 * on a small tmpfs that fills up. Each run must end within a bound with a clear code and leave a consistent archive:
 * every file under the archive is ARCHIVED in the catalog and every ARCHIVED record's file is there (after a fault
 * under the catalog, once a later run with space has adopted what the fault left).
 *
 * Mounting needs root (CI runs as root): the suite fails, not skips, when it cannot mount.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { builtinInstruments } from '../../src/instruments/builtin/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const BOUND_MS = 30_000;
const T = Date.UTC(2026, 10, 20, 6, 0, 0);
let dir: string;
const mounts: string[] = [];

/** Mounts a tmpfs of `size` at a new folder; fails the test when it cannot (not root?). */
function small(name: string, size: string): string {
  const point = join(dir, name);
  mkdirSync(point);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', point], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot mount a tmpfs at ${point} (these tests need root, as CI has): ${r.stderr}`);
  mounts.push(point);
  return point;
}

/** Fills the filesystem of `folder` until `leave` bytes are free. */
function fill(folder: string, leave: number): void {
  const s = statfsSync(folder);
  const free = s.bavail * s.bsize;
  writeFileSync(join(folder, 'filler'), Buffer.alloc(Math.max(0, free - leave)));
}

function frames(folder: string, count: number, axes: [number, number]): string[] {
  mkdirSync(folder, { recursive: true });
  const paths = [];
  for (let n = 1; n <= count; n++) {
    const options = { time: new Date(T + n * 61_000 + n * 10), frameNumber: n, axes };
    const path = join(folder, frameName(options));
    writeFileSync(path, makeFrame(options));
    paths.push(path);
  }
  return paths;
}

interface Run {
  code: number | null;
  ms: number;
  stderr: string;
  lines: { file: string; state: string; code?: string }[];
}

async function ingest(...args: string[]): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'ingest', ...args, '--json', '--assume-complete'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS + 5000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Run['lines'][number]);
  return { code, ms: Date.now() - started, stderr, lines };
}

/** The archived files under `archive` (no sidecars, catalog, staging or filler), relative paths. */
function filesUnder(archive: string): string[] {
  return readdirSync(archive, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.fits') && !join(e.parentPath, e.name).includes('/.staging/'))
    .map((e) => relative(archive, join(e.parentPath, e.name)))
    .sort();
}

function leftovers(archive: string): string[] {
  return readdirSync(archive, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tmp$|\.part$/.test(e.name) && !join(e.parentPath, e.name).includes('/.staging/'))
    .map((e) => e.name);
}

/** What the catalog lists: archived locations (relative), and every record's archive id by state. */
async function catalogView(spec: string, archive: string): Promise<{ archived: string[]; byState: Map<string, string[]> }> {
  const catalog = createSqliteCatalog({ path: spec, instruments: [...builtinInstruments()] });
  await catalog.init();
  try {
    const archived = (await catalog.findArchived({ limit: 10_000 })).flatMap((f) => f.locations.map((l) => relative(archive, l.uri))).sort();
    const byState = new Map<string, string[]>();
    for (const r of await catalog.findRecords({ limit: 10_000 })) byState.set(r.state, [...(byState.get(r.state) ?? []), r.archiveId ?? '']);
    return { archived, byState };
  } finally {
    await catalog.close();
  }
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: npm test builds it first');
  dir = mkdtempSync(join(tmpdir(), 'fits-faults-'));
});
afterAll(() => {
  for (const point of mounts) spawnSync('umount', ['-l', point]);
  rmSync(dir, { recursive: true, force: true });
});

describe('fits-ingest ingest: every resource fault ends', () => {
  it('catalog full: the run stops with ENGINE_HALTED (CATALOG_FULL) within the bound; a later run adopts what it left', async () => {
    const cat = small('catalog-disk', '8m');
    const archive = join(dir, 'archive-c');
    const incoming = join(dir, 'in-c');
    const paths = frames(incoming, 40, [64, 64]);
    const spec = join(cat, 'catalog.sqlite');
    // The catalog exists and works; then its disk fills up (a little room left for the first writes).
    const first = await ingest(paths[0]!, '--archive', archive, '--catalog', `sqlite:${spec}`);
    expect(first.code, first.stderr).toBe(0);
    fill(cat, 96 * 1024);

    const run = await ingest(incoming, '--archive', archive, '--catalog', `sqlite:${spec}`);
    expect(run.ms).toBeLessThan(BOUND_MS);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/CATALOG_FULL/);
    expect(run.stderr).toMatch(/ENGINE_HALTED|unfinished/);
    // No archived file is unknown to the catalog: each one's archive id has a record there.
    const known = new Set([...(await catalogView(spec, archive)).byState.values()].flat());
    for (const file of filesUnder(archive)) expect(known.has(file.split('/').at(-1)!.replace(/\.fits$/, '')), file).toBe(true);

    // Space again: the next run finishes the job, adopting the copies the fault left.
    rmSync(join(cat, 'filler'));
    const again = await ingest(incoming, '--archive', archive, '--catalog', `sqlite:${spec}`);
    expect(again.code, again.stderr).toBe(0);
    const view = await catalogView(spec, archive);
    expect(view.archived).toEqual(filesUnder(archive));
    expect(view.archived).toHaveLength(40);
    expect(leftovers(archive)).toEqual([]);
  }, 120_000);

  it('catalog unwritable (its file system remounted read-only): the run stops with a clear code within the bound', async () => {
    const cat = small('catalog-ro', '8m');
    const archive = join(dir, 'archive-ro');
    const incoming = join(dir, 'in-ro');
    const paths = frames(incoming, 5, [64, 64]);
    const spec = join(cat, 'catalog.sqlite');
    const first = await ingest(paths[0]!, '--archive', archive, '--catalog', `sqlite:${spec}`);
    expect(first.code, first.stderr).toBe(0);
    const remount = spawnSync('mount', ['-o', 'remount,ro', cat], { encoding: 'utf8' });
    expect(remount.status, remount.stderr).toBe(0);
    const run = await ingest(incoming, '--archive', archive, '--catalog', `sqlite:${spec}`);
    expect(run.ms).toBeLessThan(BOUND_MS);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/CATALOG_UNWRITABLE/);
    // Nothing was archived that the catalog does not list.
    expect(filesUnder(archive)).toHaveLength(1);
  }, 120_000);

  it('archive full: files that do not fit end ABANDONED with NO_SPACE within the bound; the archive matches the catalog', async () => {
    const archive = small('archive-disk', '2m');
    const catalog = join(dir, 'catalog-a.sqlite');
    const incoming = join(dir, 'in-a');
    frames(incoming, 8, [512, 512]);
    fill(archive, 1200 * 1024); // room for two frames of 530 kB
    const run = await ingest(incoming, '--archive', archive, '--catalog', `sqlite:${catalog}`, '--staging', join(dir, 'staging-a'));
    expect(run.ms).toBeLessThan(BOUND_MS);
    expect(run.code, run.stderr).toBe(1);
    expect(run.lines).toHaveLength(8);
    const archived = run.lines.filter((l) => l.state === 'ARCHIVED');
    const abandoned = run.lines.filter((l) => l.state === 'ABANDONED');
    expect(archived.length).toBeGreaterThanOrEqual(1);
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    expect(archived.length + abandoned.length).toBe(8);
    for (const l of abandoned) expect(l.code).toBe('NO_SPACE');
    const view = await catalogView(catalog, archive);
    expect(view.archived).toEqual(filesUnder(archive));
    expect(view.archived).toHaveLength(archived.length);
    expect(leftovers(archive)).toEqual([]);
  }, 120_000);

  it('staging full: every file ends ABANDONED with NO_SPACE within the bound, nothing half-written stays', async () => {
    const disk = small('staging-disk', '2m');
    const staging = join(disk, 'staging'); // the staging directory belongs to the ingestor: the filler sits beside it
    const archive = join(dir, 'archive-s');
    const catalog = join(dir, 'catalog-s.sqlite');
    const incoming = join(dir, 'in-s');
    frames(incoming, 6, [512, 512]);
    fill(disk, 256 * 1024); // less than one prepared copy
    const run = await ingest(incoming, '--archive', archive, '--catalog', `sqlite:${catalog}`, '--staging', staging);
    expect(run.ms).toBeLessThan(BOUND_MS);
    expect(run.code, run.stderr).toBe(1);
    expect(run.lines.map((l) => [l.state, l.code])).toEqual(Array.from({ length: 6 }, () => ['ABANDONED', 'NO_SPACE']));
    expect(readdirSync(staging)).toEqual([]);
    const view = await catalogView(catalog, archive);
    expect(view.archived).toEqual([]);
    expect(filesUnder(archive)).toEqual([]);

    // With space, a later run archives them all.
    rmSync(join(disk, 'filler'));
    const again = await ingest(incoming, '--archive', archive, '--catalog', `sqlite:${catalog}`, '--staging', staging);
    expect(again.code, again.stderr).toBe(0);
    expect((await catalogView(catalog, archive)).archived).toEqual(filesUnder(archive));
    expect(filesUnder(archive)).toHaveLength(6);
  }, 120_000);
});
