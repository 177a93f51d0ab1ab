/**
 * The byte pump: every copy and verify path reads its bytes through here. A file (or a byte range of one) is read
 * once, front to back, through a ring of buffers; each chunk goes, in order, to any number of observers (SHA-256,
 * the FITS ones' complement accumulator, the HDU walker) and then to any number of sinks (one or N outputs written
 * with positioned writes). Reads run ahead while a chunk is observed and while earlier chunks are still being
 * written, so the disk, the hash and the writes overlap.
 *
 * Two rules, one place:
 * - a read that returns fewer bytes than asked is continued; one that returns none before the expected length
 *   means the file changed under us: `SOURCE_CHANGED` with the byte offset where it ended (and, with `toEnd`, a
 *   byte found past the expected end is `SOURCE_CHANGED` at that offset too);
 * - a write that takes fewer bytes than asked is continued ({@link writeAll}); one that takes none is `IO_ERROR`.
 *
 * @module
 */
import { IngestError, toIngestError } from '../core/errors.js';
import { sharedBuffers } from './_buffer-pool.js';
import { writeAll, type PositionedWriter } from './durable-fs.js';

/** Where the pump reads: positioned reads that may return fewer bytes than asked (a `fs.promises` FileHandle). */
export interface PumpSource {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * Sees every chunk, in order, before any sink writes it (a `node:crypto` Hash, a ChecksumAccumulator…). The chunk's
 * memory is read into again later: copy what must be kept.
 */
export interface PumpObserver {
  update(chunk: Uint8Array): unknown;
}

/**
 * Receives every chunk, in order, with its offset from the start of the pumped range; resolves once it is written.
 * The chunk's memory is read into again once the returned promise settles: copy what must be kept.
 */
export interface PumpSink {
  write(chunk: Uint8Array, offset: number): Promise<void>;
}

/** Options for {@link pump}. */
export interface PumpOptions {
  /** Name of the source, for errors. */
  file: string;
  /** First byte to read. @default 0 */
  start?: number;
  /** Bytes expected: fewer is SOURCE_CHANGED. */
  length: number;
  /**
   * The range should end where the source ends: after it, one more byte is asked for, and finding one is
   * SOURCE_CHANGED (the file grew while it was read). @default false
   */
  toEnd?: boolean;
  observers?: readonly PumpObserver[];
  sinks?: readonly PumpSink[];
  /**
   * Bytes per read.
   * @default 1 MiB
   */
  chunkSize?: number;
  /**
   * Buffers in the ring: one being observed, reads ahead, and the rest holding chunks still being written.
   * @default 8 with sinks, `readAhead + 1` without
   */
  ring?: number;
  /**
   * Reads in flight at once (at most `ring - 1`).
   * @default 2
   */
  readAhead?: number;
  /**
   * The ring itself, when the caller owns the memory (e.g. a ChecksumAccumulator's scratch views, summed without
   * a copy); replaces `chunkSize` and `ring`. They must not be used elsewhere until the pump returns.
   */
  buffers?: readonly Uint8Array[];
  signal?: AbortSignal;
}

/** What {@link pump} moved. */
export interface PumpResult {
  bytes: number;
}

const DEFAULT_CHUNK = 1024 * 1024;
const DEFAULT_RING = 8;
const DEFAULT_READ_AHEAD = 2;

/** A sink writing at `at + offset` of `handle` with {@link writeAll}; errors name `file` and the offset. */
export function fileSink(handle: PositionedWriter, at = 0, file?: string): PumpSink {
  return {
    async write(chunk, offset) {
      try {
        await writeAll(handle, chunk, at + offset, file);
      } catch (error) {
        throw toIngestError(error, { ...(file !== undefined ? { file } : {}), offset: at + offset });
      }
    },
  };
}

/** Error thrown for a source that ended early, or was found longer than expected. */
function sourceChanged(file: string, offset: number, detail: string): IngestError {
  return new IngestError('SOURCE_CHANGED', `${file} changed while it was read: ${detail}`, { context: { file, offset } });
}

/** Reads `want` bytes at `position` into `buffer`, continuing short reads; returns how many it got (fewer only at the end). */
async function readFull(source: PumpSource, buffer: Uint8Array, want: number, position: number): Promise<number> {
  let got = 0;
  while (got < want) {
    const { bytesRead } = await source.read(buffer, got, want - got, position + got);
    if (!(bytesRead > 0)) break;
    got += bytesRead;
  }
  return got;
}

const ignore = (): void => {};

/**
 * Reads `length` bytes of `source` from `start` once, feeding every chunk to the observers then the sinks. Resolves
 * when every sink has written every byte; rejects with SOURCE_CHANGED (offset where the bytes stopped or went on),
 * the sink's or read's error as an IngestError, or ABORTED. It never returns while a read or write is still in
 * flight, so the caller may close its handles right after.
 *
 * @example
 * ```ts
 * const hash = createHash('sha256');
 * const sum = new ChecksumAccumulator();
 * await pump(input, { file: 'a.fits', length: size, toEnd: true, observers: [hash, sum], sinks: [fileSink(out, 0, 'b.fits')] });
 * ```
 */
export async function pump(source: PumpSource, options: PumpOptions): Promise<PumpResult> {
  const { file, start = 0, length, observers = [], sinks = [], signal } = options;
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new IngestError('INVALID_OPTIONS', `cannot pump ${length} bytes from ${start}`, { context: { file, field: 'length' } });
  }
  const owned = options.buffers === undefined;
  const chunk = Math.max(1, Math.min(options.chunkSize ?? DEFAULT_CHUNK, length));
  // Without sinks no chunk waits for a write: one buffer per read in flight and the one being observed suffice.
  const depth = options.ring ?? (sinks.length > 0 ? DEFAULT_RING : (options.readAhead ?? DEFAULT_READ_AHEAD) + 1);
  const ring: Uint8Array[] = owned ? Array.from({ length: Math.max(2, depth) }, () => sharedBuffers.take(chunk)) : [...options.buffers!];
  if (ring.length < 2 || ring.some((b) => b.length === 0)) {
    throw new IngestError('INVALID_OPTIONS', 'the pump needs a ring of at least two non-empty buffers', { context: { file, field: 'buffers' } });
  }
  const readAhead = Math.max(1, Math.min(options.readAhead ?? DEFAULT_READ_AHEAD, ring.length - 1));
  // A slot is free for its next read once the writes of the chunk it held are done.
  const free: Promise<void>[] = ring.map(() => Promise.resolve());
  const reads: { slot: number; at: number; want: number; got: Promise<number> }[] = [];
  let issued = 0; // chunks whose read was issued
  let readAt = 0; // offset (from start) of the next read to issue
  let written: Promise<void> = Promise.resolve();
  const issue = (): void => {
    while (reads.length < readAhead && readAt < length) {
      const slot = issued++ % ring.length;
      const buffer = ring[slot]!;
      const at = readAt;
      const want = Math.min(buffer.length, length - at);
      const got = free[slot]!.then(() =>
        readFull(source, buffer, want, start + at).catch((error: unknown) => {
          throw toIngestError(error, { file, offset: start + at });
        }),
      );
      got.catch(ignore); // awaited in order below; settled on failure
      reads.push({ slot, at, want, got });
      readAt += want;
    }
  };
  let done = 0;
  try {
    issue();
    while (reads.length > 0) {
      const { slot, at, want, got: pending } = reads.shift()!;
      const got = await pending;
      if (got < want) throw sourceChanged(file, start + at + got, `it ended at byte ${start + at + got}, ${length} bytes were expected from byte ${start}`);
      issue(); // reads run ahead while this chunk is observed
      const bytes = ring[slot]!.subarray(0, got);
      for (const observer of observers) observer.update(bytes);
      if (sinks.length > 0) {
        const write = written.then(() => (sinks.length === 1 ? sinks[0]!.write(bytes, at) : Promise.all(sinks.map((s) => s.write(bytes, at))).then(ignore)));
        write.catch(ignore); // surfaces through the next read of this slot, or the final await
        free[slot] = written = write;
      }
      done = at + got;
      if (signal?.aborted) throw new IngestError('ABORTED', `reading ${file} was cancelled at byte ${start + done}`, { context: { file, offset: start + done } });
    }
    await written;
    if (options.toEnd) {
      const probe = await readFull(source, ring[0]!, 1, start + length).catch((error: unknown) => {
        throw toIngestError(error, { file, offset: start + length });
      });
      if (probe > 0) throw sourceChanged(file, start + length, `it has bytes past byte ${start + length}, where it was expected to end`);
    }
    return { bytes: done };
  } catch (error) {
    await Promise.allSettled([...reads.map((r) => r.got), written]);
    throw error;
  } finally {
    if (owned) for (const buffer of ring) sharedBuffers.give(buffer as Buffer);
  }
}
