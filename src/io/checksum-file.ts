/**
 * FITS checksums of files on disk: one streaming pass computes every HDU's sums (and optionally the SHA-256 of
 * the whole file); verification reports data and HDU status separately; updates rewrite only header blocks,
 * through a journal so that a crash never leaves a half-written file.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { IngestError } from '../core/errors.js';
import { ChecksumAccumulator } from '../core/checksum/ones-complement.js';
import { HduChecksummer, verifyHduSums, type HduChecksumReport, type HduSumResult } from '../core/checksum/hdu-checksums.js';
import { classifyViolation } from '../core/fits/conformance.js';
import { HduStreamParser, type FitsWarning, type HduStreamOptions } from '../core/fits/hdu-stream.js';
import { recoverJournal } from './checksum-journal.js';
import { withFileForReading } from './_fs.js';

/** Options for {@link sumFile}. */
export interface SumFileOptions extends Omit<HduStreamOptions, 'file' | 'totalSize'> {
  /**
   * Bytes per read. Three reads run ahead of the chunk being summed.
   * @default 4 MiB
   */
  chunkSize?: number;
  /** Also compute the SHA-256 of the whole file in the same pass. @default false */
  sha256?: boolean;
  signal?: AbortSignal;
}

/** Sums of every HDU of a file. */
export interface FileSums {
  file: string;
  size: number;
  hdus: HduSumResult[];
  warnings: FitsWarning[];
  /** SHA-256 (hex) of the whole file, when asked for. */
  sha256?: string;
}

/** The verdict on a file. */
export interface FileVerification {
  file: string;
  hdus: HduChecksumReport[];
  warnings: FitsWarning[];
  /** Every HDU has DATASUM and CHECKSUM, both match, and every unit has its 2880-byte fill. */
  ok: boolean;
}

const DEFAULT_CHUNK = 4 * 1024 * 1024;
const RING = 4;

/**
 * Reads a file once, front to back, and returns each HDU's header sum and DATASUM (plus the file's SHA-256 if
 * asked). Memory stays constant whatever the file size. Structural problems throw IngestErrors that name the
 * file, HDU and offset.
 */
export async function sumFile(path: string, options: SumFileOptions = {}): Promise<FileSums> {
  return withFileForReading(path, async (handle, size) => {
    // Accumulators keep their engine memory (the read ring) between files: allocating it per file costs more
    // than summing a small file.
    const accumulator = idleAccumulators.pop() ?? new ChecksumAccumulator();
    try {
      return await sumOpenFile(handle, size, path, options, accumulator);
    } finally {
      accumulator.reset();
      idleAccumulators.push(accumulator);
    }
  });
}

const idleAccumulators: ChecksumAccumulator[] = [];

async function sumOpenFile(handle: FileHandle, size: number, path: string, options: SumFileOptions, accumulator: ChecksumAccumulator): Promise<FileSums> {
  const { chunkSize = DEFAULT_CHUNK, sha256 = false, signal, ...parserOptions } = options;
  const checksummer = new HduChecksummer(accumulator);
  const parser = new HduStreamParser(checksummer, { ...parserOptions, file: path, totalSize: size });
  const hash = sha256 ? createHash('sha256') : undefined;
  // A ring of buffers in the checksum engine's own memory: RING - 1 reads run ahead while one chunk is summed in
  // place (measured: 3 reads in flight reach ~95% of `cat`, double buffering ~75%).
  const views = checksummer.scratch(chunkSize, RING);
  const inFlight: Promise<{ bytesRead: number; view: Uint8Array; wanted: number }>[] = [];
  let readAt = 0;
  let slot = 0;
  const readAhead = (): void => {
    while (inFlight.length < RING - 1 && readAt < size) {
      const view = views[slot++ % RING]!;
      const wanted = Math.min(view.length, size - readAt);
      inFlight.push(handle.read(view, 0, wanted, readAt).then(({ bytesRead }) => ({ bytesRead, view, wanted })));
      readAt += wanted;
    }
  };
  readAhead();
  let position = 0;
  while (inFlight.length > 0) {
    const { bytesRead, view, wanted } = await inFlight.shift()!;
    if (bytesRead !== wanted) {
      await Promise.allSettled(inFlight);
      throw new IngestError('SOURCE_CHANGED', `the file shrank while it was read (at byte ${position + bytesRead} of ${size})`, {
        context: { file: path, offset: position + bytesRead },
      });
    }
    position += bytesRead;
    signal?.throwIfAborted();
    readAhead();
    const chunk = view.subarray(0, bytesRead);
    hash?.update(chunk);
    parser.push(chunk);
  }
  parser.end();
  const result: FileSums = { file: path, size: position, hdus: checksummer.results, warnings: parser.warnings };
  if (hash) result.sha256 = hash.digest('hex');
  return result;
}

/**
 * Verifies DATASUM and CHECKSUM of every HDU of a file, with CFITSIO's semantics (see {@link verifyHduSums}).
 * A file with an interrupted checksum update is first completed from its journal.
 *
 * @example
 * ```ts
 * const { ok, hdus } = await verifyFile('frame.fits')
 * for (const h of hdus) console.log(h.hdu, h.datasumStatus, h.checksumStatus)
 * ```
 */
export async function verifyFile(path: string, options: SumFileOptions = {}): Promise<FileVerification> {
  await recoverJournal(path);
  const sums = await sumFile(path, options);
  const hdus = sums.hdus.map(verifyHduSums);
  // A data or header unit without its 2880-byte fill is unreadable by other FITS readers, whatever its sums say.
  const ok = hdus.every((h) => h.datasumStatus === 'ok' && h.checksumStatus === 'ok') && !sums.warnings.some((w) => classifyViolation(w) === 'fill');
  return { file: path, hdus, warnings: sums.warnings, ok };
}
