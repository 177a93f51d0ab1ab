/**
 * One volume being written, as N identical copies: `<LABEL>.c<K>.tar.partial` files written with positioned
 * writes (so a failed member is cut off with one truncate), then the index member and the end-of-archive blocks,
 * fsync, and a rename to `<LABEL>.c<K>.tar`. A file still named `.partial` is never a complete volume.
 * Internal to src/adapters/transports/media.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isIngestError, toIngestError } from '../../../core/errors.js';
import { syncDirectoryShared, writeAll } from '../../../io/durable-fs.js';
import { pump } from '../../../io/byte-pump.js';
import { TAR_EOF, memberHeader, paddingOf } from './_tar.js';
import { indexMemberName, indexText, labelMemberName, labelText, type VolumeLabel } from './_volume-index.js';

/** Name of copy `copy` of volume `label`. */
export const volumeFileName = (label: string, copy: number): string => `${label}.c${copy}.tar`;
/** The suffix of a volume being written. */
export const PARTIAL_SUFFIX = '.partial';

const CHUNK = 1024 * 1024;
/** Buffers in the ring: one being hashed, reads ahead, writes in flight. */
const RING = 8;
/** Reads in flight while a chunk is hashed. */
const READ_AHEAD = 2;
/**
 * Written bytes after which a background `fdatasync` starts (one at a time), so that the disk flushes while the
 * next chunks are read and hashed instead of all at once when the volume is finished.
 */
const FLUSH_BEHIND = 128 * 1024 * 1024;

/** One copy of a volume being written. */
interface CopyFile {
  copy: number;
  path: string;
  handle: FileHandle;
}

/** What {@link VolumeSet.appendFile} read: size and SHA-256 of the bytes actually written. */
export interface AppendedData {
  size: number;
  sha256: string;
}

/** The N copies of one volume, written in step. */
export class VolumeSet {
  /** Bytes written so far (identical in every copy). */
  size = 0;
  /** Bytes written since the last background flush started, and that flush (its error surfaces in finish). */
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  private constructor(
    readonly label: VolumeLabel,
    private readonly files: CopyFile[],
  ) {}

  /** Creates (or overwrites) the partial copies and writes the label member. */
  static async create(label: VolumeLabel, dirs: readonly string[]): Promise<VolumeSet> {
    const files: CopyFile[] = [];
    try {
      for (const [i, dir] of dirs.entries()) {
        const path = join(dir, volumeFileName(label.label, i + 1) + PARTIAL_SUFFIX);
        files.push({ copy: i + 1, path, handle: await open(path, 'w+') });
      }
    } catch (error) {
      await Promise.allSettled(files.map((f) => f.handle.close()));
      throw toIngestError(error, { file: files.at(-1)?.path ?? dirs[files.length] });
    }
    const set = new VolumeSet(label, files);
    await set.appendJson(labelMemberName(label.label), (copy) => labelText({ ...label, copy }), label.createdAt);
    return set;
  }

  /** Paths the copies will have once complete. */
  get finalPaths(): string[] {
    return this.files.map((f) => f.path.slice(0, -PARTIAL_SUFFIX.length));
  }

  private async writeToCopies(data: Uint8Array, position: number): Promise<void> {
    await Promise.all(this.files.map((f) => writeAll(f.handle, data, position)));
    this.unflushed += data.length;
    if (this.unflushed >= FLUSH_BEHIND && !this.flushing) {
      this.unflushed = 0;
      const flush = Promise.all(this.files.map((f) => f.handle.datasync())).then(() => {
        if (this.flushing === flush) this.flushing = undefined;
      });
      flush.catch(() => {}); // awaited (and thrown) by finish
      this.flushing = flush;
    }
  }

  /** Appends bytes (headers, small members) to every copy. */
  async append(data: Uint8Array): Promise<void> {
    try {
      await this.writeToCopies(data, this.size);
    } catch (error) {
      throw toIngestError(error, { file: this.files[0]!.path, offset: this.size });
    }
    this.size += data.length;
  }

  /** A JSON member whose text may differ per copy (same length in every copy). */
  private async appendJson(name: string, text: (copy: number) => string, createdAt: string): Promise<void> {
    const texts = this.files.map((f) => Buffer.from(text(f.copy)));
    const header = memberHeader(name, texts[0]!.length, Date.parse(createdAt));
    const start = this.size + header.length;
    const padded = texts[0]!.length + paddingOf(texts[0]!.length);
    try {
      await Promise.all(
        this.files.map(async (f, i) => {
          const block = Buffer.alloc(header.length + padded);
          header.copy(block, 0);
          texts[i]!.copy(block, header.length);
          await writeAll(f.handle, block, this.size);
        }),
      );
    } catch (error) {
      throw toIngestError(error, { file: this.files[0]!.path, offset: start });
    }
    this.size = start + padded;
  }

  /**
   * Streams `size` bytes of the open `source` into every copy at the current end, hashing them on the way, through
   * the byte pump (a ring of buffers keeps reads and writes in flight while the current chunk is hashed). Throws
   * SOURCE_CHANGED (with the offset) when the source ends early or goes on past `size`; the caller then
   * {@link truncate}s.
   */
  async appendFile(source: FileHandle, size: number, file: string, signal?: AbortSignal): Promise<AppendedData> {
    const hash = createHash('sha256');
    const start = this.size;
    let read: number;
    try {
      ({ bytes: read } = await pump(source, {
        file,
        length: size,
        toEnd: true, // `size` is the whole file's: more bytes mean it grew while it was read
        chunkSize: CHUNK,
        ring: RING,
        readAhead: READ_AHEAD,
        observers: [hash],
        sinks: [{ write: (chunk, offset) => this.writeToCopies(chunk, start + offset) }],
        ...(signal ? { signal } : {}),
      }));
    } catch (error) {
      throw isIngestError(error) ? error : toIngestError(error, { file: this.files[0]!.path, offset: start });
    }
    this.size = start + read;
    const pad = paddingOf(size);
    if (pad > 0) await this.append(new Uint8Array(pad));
    return { size: read, sha256: hash.digest('hex') };
  }

  /** Cuts every copy back to `size` bytes (drops a member that failed its checks). */
  async truncate(size: number): Promise<void> {
    await Promise.all(this.files.map((f) => f.handle.truncate(size)));
    this.size = size;
  }

  /** Writes the index member and the end-of-archive blocks, flushes, closes and renames every copy. */
  async finish(entries: readonly string[], lastSerial: number): Promise<string[]> {
    const name = indexMemberName(this.label.label);
    await this.appendJson(name, (copy) => indexText({ ...this.label, copy }, lastSerial, entries), new Date().toISOString());
    await this.append(TAR_EOF);
    const finals = this.finalPaths;
    try {
      await this.flushing;
      await Promise.all(this.files.map((f) => f.handle.sync()));
      await this.close();
      for (const [i, f] of this.files.entries()) await rename(f.path, finals[i]!);
      for (const dir of new Set(finals.map((p) => dirname(p)))) await syncDirectoryShared(dir);
    } catch (error) {
      throw toIngestError(error, { file: finals[0] });
    }
    return finals;
  }

  /** Closes the copies (they stay `.partial`). */
  async close(): Promise<void> {
    await this.flushing?.catch(() => {});
    await Promise.allSettled(this.files.map((f) => f.handle.close()));
  }
}

/**
 * An upper bound of the size the index member takes with `count` entries of `entryBytes` bytes in all (the last
 * serial counted at its widest), so that the writer can keep room for it.
 */
export function indexSpan(label: VolumeLabel, count: number, entryBytes: number): number {
  const bytes = Buffer.byteLength(indexText(label, Number.MAX_SAFE_INTEGER, [])) + entryBytes + 2 * count;
  return memberHeader(indexMemberName(label.label), bytes, 0).length + bytes + paddingOf(bytes);
}
