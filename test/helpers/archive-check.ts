/**
 * Shared test setup (vitest `setupFiles`): every FITS file a test archived must pass fitsverify with 0 errors.
 *
 * Tests make their archives in temporary directories and remove them when done; this hook runs just before such a
 * directory is removed (`rmSync` / `fs.promises.rm`), finds the archived copies in it — `*.fits` files with the
 * `<file>.json` sidecar the archive writes next to them — and checks them all with one fitsverify run. A failure
 * is reported by the removal call, so the test (or its afterEach) fails, naming the files and fitsverify's report.
 * fitsverify missing fails loudly (see requireJudge).
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { expectArchiveConforms, fitsFilesUnder } from './oracles.js';

/** Archived copies under `root`: FITS files with a sidecar. */
export function archivedCopiesUnder(root: string): string[] {
  return fitsFilesUnder(root).filter((file) => fs.existsSync(`${file}.json`));
}

/** Throws when fitsverify finds errors in an archived copy under `root`; returns how many copies it checked. */
export function checkArchivedCopies(root: string): number {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(root);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return 0;
  const copies = archivedCopiesUnder(root);
  if (copies.length === 0) return 0;
  return expectArchiveConforms(copies);
}

/** Files checked in this test process (for the suite's own test). */
export const archiveCheckStats = { checked: 0 };

function guarded(path: fs.PathLike): Error | undefined {
  try {
    archiveCheckStats.checked += checkArchivedCopies(String(path));
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

const rmSync = fs.rmSync;
const rm = fs.promises.rm;
fs.rmSync = function checkedRmSync(path: fs.PathLike, options?: fs.RmOptions): void {
  const problem = guarded(path);
  rmSync.call(fs, path, options);
  if (problem) throw problem;
};
fs.promises.rm = async function checkedRm(path: fs.PathLike, options?: fs.RmOptions): Promise<void> {
  const problem = guarded(path);
  await rm.call(fs.promises, path, options);
  if (problem) throw problem;
};
syncBuiltinESMExports();
