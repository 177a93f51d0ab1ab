/** The files a command line names: folders expanded to the FITS files under them, other entries reported. */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IngestError } from '../core/errors.js';

const FITS_NAME = /\.(fits?|fts)(\.fz|\.gz)?$/i;

/** An entry of a scanned folder that is not ingested: not a regular file. */
export interface SkippedEntry {
  path: string;
  kind: 'symlink' | 'fifo' | 'socket' | 'device' | 'other';
}

export const KIND_TEXT: Record<SkippedEntry['kind'], string> = {
  symlink: 'symbolic link (not followed: name its target to ingest it)',
  fifo: 'named pipe (FIFO), not a regular file',
  socket: 'socket, not a regular file',
  device: 'device file, not a regular file',
  other: 'not a regular file',
};

function kindOf(entry: { isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): SkippedEntry['kind'] {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'device';
  return 'other';
}

/**
 * Files named on the command line, with directories expanded to the FITS files under them; entries of a scanned
 * directory with a FITS name that are not regular files (symbolic links, FIFOs, sockets, devices) are returned as
 * `skipped`, so they can be reported rather than passed over silently.
 */
export async function scan(paths: readonly string[]): Promise<{ files: string[]; skipped: SkippedEntry[] }> {
  const out: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const p of paths) {
    const path = resolve(p);
    const s = await stat(path).catch(() => undefined);
    if (!s) {
      throw new IngestError('FILE_NOT_FOUND', `${p}: no such file or directory`, { context: { file: path } });
    }
    if (s.isDirectory()) {
      for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
        const parent = entry.parentPath ?? (entry as unknown as { path: string }).path;
        if (!FITS_NAME.test(entry.name) || entry.name.startsWith('.') || entry.isDirectory()) continue;
        if (entry.isFile()) out.push(join(parent, entry.name));
        else skipped.push({ path: join(parent, entry.name), kind: kindOf(entry) });
      }
    } else out.push(path);
  }
  return { files: [...new Set(out)].sort(), skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)) };
}

/** Files named on the command line, with directories expanded to the FITS files under them. */
export async function expand(paths: readonly string[]): Promise<string[]> {
  return (await scan(paths)).files;
}
