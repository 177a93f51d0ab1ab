import { open, type FileHandle } from 'node:fs/promises';
import { toIngestError } from '../core/errors.js';

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
