/**
 * The independent judges the tests compare fits-ingest with: astropy (Debian's python3-astropy), fitsverify and
 * CFITSIO. They are installed by scripts/setup-test.sh; a missing judge fails the test run loudly, never skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's Python, which has astropy (a pyenv python3 earlier on PATH may not). */
export const PYTHON = '/usr/bin/python3';
/** astropy's own test files, shipped by python3-astropy. */
export const ASTROPY_DATA = '/usr/lib/python3/dist-packages/astropy/io/fits/tests/data';
const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** Throws with a setup hint when a judge is missing. */
export function requireJudge(what: 'astropy' | 'fitsverify' | 'cfitsio'): void {
  const ok =
    what === 'astropy'
      ? spawnSync(PYTHON, ['-c', 'import astropy']).status === 0
      : what === 'fitsverify'
        ? spawnSync('fitsverify', ['-h']).error === undefined
        : existsSync('/usr/include/fitsio.h');
  if (!ok) throw new Error(`the test judge "${what}" is missing: run scripts/setup-test.sh (apt-get install …)`);
}

/** Per-HDU info from astropy. */
export interface AstropyHdu {
  hdu: number;
  hdrLoc: number;
  datLoc: number;
  datSpan: number;
  datasum: number;
  /** 1 ok, 0 failed, 2 missing. */
  checksumStatus: number;
  datasumStatus: number;
}

/** What astropy says about files (or the error it raised). */
export function astropyInfo(files: string[]): Record<string, AstropyHdu[] | { error: string }> {
  requireJudge('astropy');
  const out = execFileSync(PYTHON, [join(FIXTURES, 'astropy_info.py'), ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

/** Writes astropy-made oracle files into a new temp dir; returns the dir and the file names. */
export function makeAstropyFixtures(): { dir: string; files: string[] } {
  requireJudge('astropy');
  const dir = mkdtempSync(join(tmpdir(), 'fits-oracle-'));
  const out = execFileSync(PYTHON, [join(FIXTURES, 'make_fits.py'), dir], { encoding: 'utf8' });
  return { dir, files: Object.keys(JSON.parse(out) as object) };
}

/** fitsverify's verdict. */
export interface FitsverifyResult {
  errors: number;
  warnings: number;
  /** Lines about checksums (warnings or errors). */
  checksumProblems: string[];
  output: string;
}

export function fitsverify(file: string): FitsverifyResult {
  requireJudge('fitsverify');
  const run = spawnSync('fitsverify', [file], { encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  const summary = /Verification found (\d+) warning\(s\) and (\d+) error\(s\)/.exec(output);
  if (!summary) throw new Error(`fitsverify printed no summary for ${file}:\n${output}`);
  const checksumProblems = output
    .split('\n')
    .filter((l) => /(warning|error)/i.test(l) && /(checksum|datasum)/i.test(l));
  return { errors: Number(summary[2]), warnings: Number(summary[1]), checksumProblems, output };
}

/** Every `*.fits` file under `root`, recursively (none when `root` does not exist). */
export function fitsFilesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.fits$/i.test(entry.name)) found.push(join(entry.parentPath, entry.name));
  }
  return found.sort();
}

/** fitsverify's error count per file, many files per run (fitsverify -q prints one verdict line per file). */
export function fitsverifyMany(files: readonly string[]): Map<string, { errors: number; warnings: number }> {
  requireJudge('fitsverify');
  const verdicts = new Map<string, { errors: number; warnings: number }>();
  for (let i = 0; i < files.length; i += 200) {
    const batch = files.slice(i, i + 200);
    const run = spawnSync('fitsverify', ['-q', ...batch], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const output = `${run.stdout}${run.stderr}`;
    for (const file of batch) {
      const line = output.split('\n').find((l) => l.includes(file) && /verification (OK|FAILED)/.test(l));
      if (!line) throw new Error(`fitsverify printed no verdict for ${file}:\n${output}`);
      const counts = /(\d+) warnings? and (\d+) errors?/.exec(line);
      verdicts.set(file, line.includes('verification OK') ? { errors: 0, warnings: 0 } : { errors: Number(counts?.[2] ?? 1), warnings: Number(counts?.[1] ?? 0) });
    }
  }
  return verdicts;
}

/**
 * Asserts that fitsverify finds 0 errors in every FITS file archived under `root` (an archive's promise), with
 * fitsverify's full report of each failing file in the error. Returns how many files it checked. Tests that archive files
 * call it before removing their archive (see test/helpers/archive-check.ts for the shared hook).
 */
export function expectArchiveConforms(root: string | readonly string[]): number {
  const files = typeof root === 'string' ? fitsFilesUnder(root) : [...root];
  if (files.length === 0) return 0;
  const failing = [...fitsverifyMany(files)].filter(([, v]) => v.errors > 0).map(([file]) => file);
  if (failing.length > 0) {
    const reports = failing.map((file) => fitsverify(file).output).join('\n');
    throw new Error(`fitsverify rejects ${failing.length} archived file(s): ${failing.join(', ')}\n${reports}`);
  }
  return files.length;
}
