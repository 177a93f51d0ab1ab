/**
 * File operations of the filesystem transport: copy while hashing, hash, atomic small writes, directory fsync,
 * temp-file names and their cleanup. Internal to src/adapters/transports.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../../core/errors.js';
import { syncDirectory } from '../../io/_fs.js';

const CHUNK = 1 << 20;

/** Size and SHA-256 (hex) of some bytes. */
export interface Digest {
  size: number;
  sha256: string;
}

/** Throws IngestError ABORTED when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) {
    throw new IngestError('ABORTED', 'the transfer was cancelled', { context: { file }, cause: signal.reason });
  }
}

/** The temp name of `base` in its directory: `.<base>.tmp-<random>` (recognizable after a crash). */
export function tempName(base: string): string {
  return `.${base}.tmp-${randomBytes(6).toString('hex')}`;
}

/** Removes the temp files a crash may have left for `base` (its own and its sidecar's) in `dir`. */
export async function removeStaleTemps(dir: string, base: string): Promise<void> {
  const prefixes = [`.${base}.tmp-`, `.${base}.json.tmp-`];
  for (const name of await readdir(dir)) {
    if (prefixes.some((prefix) => name.startsWith(prefix))) await rm(join(dir, name), { force: true });
  }
}

async function readChunks(
  handle: FileHandle,
  file: string,
  signal: AbortSignal | undefined,
  each: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    throwIfAborted(signal, file);
    const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
    if (bytesRead === 0) return;
    await each(buffer.subarray(0, bytesRead));
  }
}

/** Copies `from` to the new file `to` (which must not exist), hashing on the way; fsyncs `to` when asked. */
export async function copyWithDigest(
  from: string,
  to: string,
  options: { fsync: boolean; signal?: AbortSignal },
): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  const source = await open(from, 'r');
  try {
    const target = await open(to, 'wx', 0o644);
    try {
      await readChunks(source, from, options.signal, async (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        for (let written = 0; written < chunk.length; ) {
          written += (await target.write(chunk, written, chunk.length - written)).bytesWritten;
        }
      });
      if (options.fsync) await target.sync();
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
  return { size, sha256: hash.digest('hex') };
}

/** Size and SHA-256 of the file at `path`, or undefined when there is none. */
export async function digestFile(path: string, signal?: AbortSignal): Promise<Digest | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    await readChunks(handle, path, signal, async (chunk) => {
      hash.update(chunk);
      size += chunk.length;
    });
  } finally {
    await handle.close();
  }
  return { size, sha256: hash.digest('hex') };
}

/** Replaces `path` with `content` atomically: a temp file in the same directory, fsync, rename, directory fsync. */
export async function writeFileAtomic(dir: string, base: string, content: string, fsync: boolean): Promise<void> {
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
    if (fsync) await syncDirectory(dir);
  } finally {
    await rm(temp, { force: true });
  }
}
