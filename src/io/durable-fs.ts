import { open, type FileHandle } from 'node:fs/promises';
import { IngestError, toIngestError } from '../core/errors.js';

/** Flushes a directory entry change (create, rename, unlink) to stable storage. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF') throw error;
  } finally {
    await handle.close();
  }
}

/** What {@link writeAll} needs of a file: positioned writes that may take fewer bytes than asked (a FileHandle). */
export interface PositionedWriter {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
}

/**
 * Writes all of `bytes` at `position`. The one rule for short writes: a write that takes fewer bytes than asked is
 * continued with the rest; one that takes none (no progress) fails with IO_ERROR at the offset it stopped at.
 */
export async function writeAll(handle: PositionedWriter, bytes: Uint8Array, position: number, file?: string): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, position + at);
    if (!(bytesWritten > 0)) {
      throw new IngestError('IO_ERROR', `a write at byte ${position + at} made no progress (${bytes.length - at} bytes left)`, {
        context: { ...(file !== undefined ? { file } : {}), offset: position + at },
      });
    }
    at += bytesWritten;
  }
}

/**
 * Opens a file for reading, runs `use` with the handle and its size, and closes it. Any error becomes an
 * IngestError naming the file.
 */
export async function withFileForReading<T>(path: string, use: (handle: FileHandle, size: number) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw toIngestError(error, { file: path });
  }
  try {
    const { size } = await handle.stat();
    return await use(handle, size);
  } catch (error) {
    throw toIngestError(error, { file: path });
  } finally {
    await handle.close();
  }
}

/**
 * Shares flushes between callers: one that asks while a flush of the same key is running gets the next flush,
 * shared with everyone else who asked meanwhile. N concurrent writers into one directory then cost about two
 * directory fsyncs instead of N (each fsync costs milliseconds and serializes on the filesystem journal).
 */
export class FlushCoalescer {
  readonly #running = new Map<string, Promise<void>>();
  readonly #next = new Map<string, Promise<void>>();

  /** Resolves once a flush of `key` that started after this call has finished. */
  flush(key: string, flush: () => Promise<void>): Promise<void> {
    const next = this.#next.get(key);
    if (next) return next;
    const running = this.#running.get(key);
    if (!running) return this.#start(key, flush);
    const queued = running
      .catch(() => undefined)
      .then(() => {
        this.#next.delete(key);
        return this.#start(key, flush);
      });
    this.#next.set(key, queued);
    return queued;
  }

  #start(key: string, flush: () => Promise<void>): Promise<void> {
    const started: Promise<void> = flush().finally(() => {
      if (this.#running.get(key) === started) this.#running.delete(key);
    });
    this.#running.set(key, started);
    return started;
  }
}

const directories = new FlushCoalescer();

/** {@link syncDirectory}, shared with concurrent callers flushing the same directory. */
export function syncDirectoryShared(dir: string): Promise<void> {
  return directories.flush(dir, () => syncDirectory(dir));
}
