/**
 * The per-night digest manifest of the filesystem transport, in `sha256sum -c` format: one line
 * `<sha256>  <path relative to the manifest's directory>` per archived file. Internal to src/adapters/transports.
 *
 * @module
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../../io/_fs.js';
import { removeStaleTemps, writeFileAtomic } from './_files.js';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Records `entry` with digest `sha256` in the manifest `dir`/`base`. Idempotent: a line already there is not
 * written again. A new line is appended with O_APPEND (one write) and fsynced; when the entry is listed with
 * another digest (a replaced file) or the manifest ends in a partial line (a crash mid-append), the manifest is
 * rewritten atomically (temp copy + rename) without the stale lines. Callers serialize calls per manifest.
 */
export async function recordInManifest(dir: string, base: string, entry: string, sha256: string, fsync: boolean): Promise<void> {
  const wanted = `${sha256}  ${entry}`;
  const path = join(dir, base);
  const content = await readIfExists(path);
  const whole = content === undefined || content === '' || content.endsWith('\n');
  const lines = (content ?? '').split('\n');
  lines.pop(); // '' after the last newline, or a partial last line
  if (whole && lines.includes(wanted)) return;
  const kept = lines.filter((line) => !line.endsWith(`  ${entry}`));
  if (whole && kept.length === lines.length) {
    const handle = await open(path, 'a', 0o644);
    try {
      await handle.write(`${wanted}\n`);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    if (fsync && content === undefined) await syncDirectory(dir);
    return;
  }
  await removeStaleTemps(dir, base);
  await writeFileAtomic(dir, base, [...kept, wanted].map((line) => `${line}\n`).join(''), fsync);
}
