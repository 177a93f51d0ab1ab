/**
 * File operations of the filesystem transport: link or copy into place, atomic small writes, temp-file names and
 * their cleanup. Internal to src/adapters/transports.
 *
 * @module
 */
import { constants } from 'node:fs';
import { copyFile, link, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../../core/errors.js';
import { syncDirectory } from '../../io/durable-fs.js';

/** Throws IngestError ABORTED when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) {
    throw new IngestError('ABORTED', 'the transfer was cancelled', { context: { file }, cause: signal.reason });
  }
}

/**
 * The temp name of `base` in its directory: `.<base>.tmp`. It is the same for every attempt, so what a crash left
 * behind is simply replaced (no directory listing per transfer); transfers to one destination are serialized in a
 * process, and a clash between processes only fails a transfer, which is retried.
 */
export function tempName(base: string): string {
  return `.${base}.tmp`;
}

/** Removes the temp files a crash may have left for `base` (its own and its sidecar's) in `dir`. */
export async function removeStaleTemps(dir: string, base: string): Promise<void> {
  await rm(join(dir, tempName(base)), { force: true });
  await rm(join(dir, tempName(`${base}.json`)), { force: true });
}

/**
 * Puts the bytes of `from` at the new path `to` (which must not exist): a hard link when both are on one
 * filesystem (a staged copy is never written again, so sharing its inode is safe and costs no copy), else a
 * kernel copy. Flushes `to` to stable storage when asked (a link shares data the stager may not have flushed).
 */
export async function linkOrCopy(from: string, to: string, fsync: boolean): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
    await copyFile(from, to, constants.COPYFILE_EXCL);
  }
  if (fsync) {
    const handle = await open(to, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * Replaces `path` with `content` atomically: a temp file in the same directory, fsync, rename, and a directory fsync
 * unless the caller flushes the directory itself (`syncDir: false`).
 */
export async function writeFileAtomic(dir: string, base: string, content: string, fsync: boolean, syncDir = fsync): Promise<void> {
  const temp = join(dir, tempName(base));
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, base));
    if (syncDir) await syncDirectory(dir);
  } finally {
    await rm(temp, { force: true });
  }
}
