/**
 * FITS checksums of files on disk: one streaming pass computes every HDU's sums (and optionally the SHA-256 of
 * the whole file); verification reports data and HDU status separately; updates rewrite only header blocks,
 * through a journal so that a crash never leaves a half-written file.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { HduChecksummer, verifyHduSums, type HduChecksumReport, type HduSumResult } from '../core/checksum/hdu-checksums.js';
import { HduStreamParser, type FitsWarning, type HduStreamOptions } from '../core/fits/hdu-stream.js';
import { recoverJournal } from './checksum-journal.js';
import { withFileForReading } from './_fs.js';

/** Options for {@link sumFile}. */
export interface SumFileOptions extends Omit<HduStreamOptions, 'file' | 'totalSize'> {
  /**
   * Bytes per read. Reads are double-buffered: the next chunk is read while the current one is summed.
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
  /** Every HDU has DATASUM and CHECKSUM, and both match. */
  ok: boolean;
}

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/**
 * Reads a file once, front to back, and returns each HDU's header sum and DATASUM (plus the file's SHA-256 if
 * asked). Memory stays constant whatever the file size. Structural problems throw IngestErrors that name the
 * file, HDU and offset.
 */
export async function sumFile(path: string, options: SumFileOptions = {}): Promise<FileSums> {
  const { chunkSize = DEFAULT_CHUNK, sha256 = false, signal, ...parserOptions } = options;
  return withFileForReading(path, async (handle, size) => {
    const checksummer = new HduChecksummer();
    const parser = new HduStreamParser(checksummer, { ...parserOptions, file: path, totalSize: size });
    const hash = sha256 ? createHash('sha256') : undefined;
    let [current, next] = checksummer.scratch(Math.max(2880, Math.min(chunkSize, size || 2880)));
    let position = 0;
    let pending = size > 0 ? handle.read(current, 0, Math.min(current.length, size), 0) : undefined;
    while (pending) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      position += bytesRead;
      signal?.throwIfAborted();
      if (position < size) pending = handle.read(next, 0, Math.min(next.length, size - position), position);
      const chunk = current.subarray(0, bytesRead);
      hash?.update(chunk);
      parser.push(chunk);
      [current, next] = [next, current];
    }
    parser.end();
    const result: FileSums = { file: path, size: position, hdus: checksummer.results, warnings: parser.warnings };
    if (hash) result.sha256 = hash.digest('hex');
    return result;
  });
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
  const ok = hdus.every((h) => h.datasumStatus === 'ok' && h.checksumStatus === 'ok');
  return { file: path, hdus, warnings: sums.warnings, ok };
}
