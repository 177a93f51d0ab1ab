/**
 * The {@link FileAccess} port on Node.js `fs`: what the runtime uses on a real machine.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileAccess, FilePumpOptions, FileStat, Hash, PumpedFile, WritableFile } from '../core/ports/files.js';
import { sharedBuffers } from './_buffer-pool.js';
import { withFileForReading, writeAll } from './durable-fs.js';
import { pump } from './byte-pump.js';

/** Options for {@link nodeFiles}. */
export interface NodeFilesOptions {
  /**
   * Bytes per read when streaming a file.
   * @default 4 MiB
   */
  chunkSize?: number;
}

async function* readChunks(path: string, start: number, end: number | undefined, chunkSize: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  const taken: Buffer[] = [];
  try {
    const stop = end ?? (await handle.stat()).size;
    // Double-buffered: the next read runs while the consumer handles the current chunk. Small files get small
    // buffers, recycled between files (consumers must not keep chunks, as the port says, so recycling is safe).
    const size = Math.max(1, Math.min(chunkSize, stop - start));
    let current = sharedBuffers.take(size);
    let next = sharedBuffers.take(size);
    taken.push(current, next);
    let position = start;
    let pending = position < stop ? handle.read(current, 0, Math.min(size, stop - position), position) : undefined;
    while (pending) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      position += bytesRead;
      signal?.throwIfAborted();
      if (position < stop) pending = handle.read(next, 0, Math.min(size, stop - position), position);
      yield current.subarray(0, bytesRead);
      [current, next] = [next, current];
    }
  } finally {
    await handle.close();
    for (const buffer of taken) sharedBuffers.give(buffer);
  }
}

/** Bytes per read of a pumped file. */
const PUMP_CHUNK = 1024 * 1024;

/**
 * {@link FileAccess.pump} on the byte pump. With `keep`, the pump's ring is the kept buffer itself, cut into
 * consecutive views (at least two, as the ring needs): every slot is read into exactly once, so when the pump
 * returns the buffer holds the whole file, read and observed once.
 */
async function pumpFile(path: string, options: FilePumpOptions): Promise<PumpedFile> {
  const { length, observers, keep = false, signal } = options;
  const kept = keep && length > 0 ? sharedBuffers.take(length) : undefined;
  const release = (): void => {
    if (kept) sharedBuffers.give(kept);
  };
  try {
    await withFileForReading(path, async (handle) => {
      const common = { file: path, length, toEnd: true, observers, ...(signal ? { signal } : {}) };
      if (!kept) return pump(handle, { ...common, chunkSize: PUMP_CHUNK });
      const piece = Math.max(1, Math.min(PUMP_CHUNK, Math.ceil(length / 2)));
      const views: Uint8Array[] = [];
      for (let at = 0; at < length; at += piece) views.push(kept.subarray(at, Math.min(length, at + piece)));
      if (views.length < 2) views.push(Buffer.allocUnsafe(1)); // a one-byte file: the ring needs two slots
      return pump(handle, { ...common, buffers: views, readAhead: 2 });
    });
  } catch (error) {
    release();
    throw error;
  }
  return kept ? { bytes: kept, release } : { release };
}

/** Local files through `node:fs`. */
export function nodeFiles(options: NodeFilesOptions = {}): FileAccess {
  const chunkSize = options.chunkSize ?? 4 * 1024 * 1024;
  return {
    async stat(path): Promise<FileStat | undefined> {
      try {
        const s = await stat(path);
        return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    read(path, o = {}) {
      return readChunks(path, o.start ?? 0, o.end, o.chunkSize ?? chunkSize, o.signal);
    },
    async readRange(path, offset, length) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async create(path): Promise<WritableFile> {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, 'w');
      let end = 0; // appends are positioned writes at the end written so far (the file was created empty)
      return {
        async write(chunk) {
          await writeAll(handle, chunk, end);
          end += chunk.length;
        },
        writeAt: (chunk, offset) => writeAll(handle, chunk, offset),
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
    rename: (from, to) => rename(from, to),
    async remove(path) {
      try {
        await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
    async list(dir) {
      const out: string[] = [];
      for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
      }
      return out.sort();
    },
    pump: pumpFile,
    sha256(): Hash {
      const hash = createHash('sha256');
      return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest('hex') };
    },
  };
}
