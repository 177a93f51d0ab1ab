/**
 * One read of a stored copy (a whole file, or a byte range such as a tar member) through the byte pump, computing
 * its SHA-256 and walking it as FITS (every HDU's DATASUM/CHECKSUM verified, the primary header kept), with an
 * optional sink given every chunk (a restore target, a rate limiter); then the first way what was read differs
 * from what it should be. Shared by `media verify`/`restore` (members) and the scrub (archived copies); used
 * by src/adapters/transports/media and src/scrub.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { verifyHduSums, type HduChecksumReport, type HduSumResult } from '../core/checksum/hdu-checksums.js';
import { toIngestError, type IngestError } from '../core/errors.js';
import type { Header } from '../core/fits/header.js';
import type { HduSums } from '../core/ports/transport.js';
import { fileSink, pump, type PumpSink, type PumpSource } from './byte-pump.js';
import type { PositionedWriter } from './durable-fs.js';
import { hduWalker } from './hdu-walker.js';

/** What reading a copy found. */
export interface CopyRead {
  sha256: string;
  /** Per-HDU verdicts (when read as FITS). */
  hdus: HduChecksumReport[];
  /** The primary header (when read as FITS). */
  primary?: Header;
  /** Structural FITS problem, if the bytes did not parse. */
  fitsError?: IngestError;
}

/** Options of {@link readAndVerify}. */
export interface ReadVerifyOptions {
  /** Name for errors (the file, or `volume#member`). */
  name: string;
  /** First byte. @default 0 */
  start?: number;
  length: number;
  /** Walk the bytes as FITS. @default true */
  fits?: boolean;
  /** The range should end where the source ends (a whole file). @default false */
  toEnd?: boolean;
  /** Given every chunk in order: a function, or a file written from offset 0 with positioned writes. */
  sink?: ((chunk: Uint8Array) => Promise<void>) | PositionedWriter;
  signal?: AbortSignal;
}

/**
 * Reads the range once: hash, FITS sums, sink. A copy that is not valid FITS is still hashed to the end (the
 * walker stops at its first error, kept as `fitsError`). Errors of the read itself (SOURCE_CHANGED, IO_ERROR,
 * ABORTED) are thrown.
 */
export async function readAndVerify(source: PumpSource, options: ReadVerifyOptions): Promise<CopyRead> {
  const { name, start = 0, length, sink, signal } = options;
  const hash = createHash('sha256');
  const walker = options.fits === false ? undefined : hduWalker({ file: name, totalSize: length });
  let fitsError: IngestError | undefined;
  const fits = walker && {
    update(chunk: Uint8Array) {
      if (fitsError) return;
      try {
        walker.update(chunk);
      } catch (error) {
        fitsError = toIngestError(error);
      }
    },
  };
  const sinks: PumpSink[] = sink === undefined ? [] : typeof sink === 'function' ? [{ write: (chunk) => sink(chunk) }] : [fileSink(sink)];
  await pump(source, { file: name, start, length, toEnd: options.toEnd ?? false, observers: fits ? [hash, fits] : [hash], sinks, ...(signal ? { signal } : {}) });
  let results: HduSumResult[] = [];
  if (walker && !fitsError) {
    try {
      results = walker.end();
    } catch (error) {
      fitsError = toIngestError(error);
    }
  }
  const read: CopyRead = { sha256: hash.digest('hex'), hdus: fitsError ? [] : results.map(verifyHduSums) };
  if (results[0] && !fitsError) read.primary = results[0].hdu.header;
  if (fitsError) read.fitsError = fitsError;
  return read;
}

/** What a copy must be. */
export interface ExpectedCopy {
  size: number;
  sha256: string;
  hdus?: readonly HduSums[];
  /** Where the expectation comes from, for messages: `catalog`, `index`. */
  from: string;
}

/** How a copy differs: the detail, the byte offset from the copy's start, and the HDU when one is at fault. */
export interface CopyDifference {
  detail: string;
  offset: number;
  hdu?: number;
}

/** The first way a copy of `size` bytes read as `read` differs from `expected`; undefined when it is intact. */
export function firstDifference(size: number, read: CopyRead, expected: ExpectedCopy): CopyDifference | undefined {
  if (read.fitsError) return { detail: `not a valid FITS file: ${read.fitsError.detail}`, offset: read.fitsError.context.offset ?? 0 };
  for (const hdu of read.hdus) {
    if (hdu.datasumStatus === 'bad' || hdu.checksumStatus === 'bad') {
      const bad = hdu.datasumStatus === 'bad';
      return { detail: `HDU ${hdu.hdu} fails its ${bad ? 'DATASUM' : 'CHECKSUM'}`, offset: bad ? hdu.dataOffset : hdu.headerOffset, hdu: hdu.hdu };
    }
    const want = expected.hdus?.find((h) => h.index === hdu.hdu);
    if (want && want.datasum !== hdu.datasum) {
      return { detail: `HDU ${hdu.hdu} has DATASUM ${hdu.datasum}, the ${expected.from} says ${want.datasum}`, offset: hdu.dataOffset, hdu: hdu.hdu };
    }
  }
  if (expected.hdus && read.hdus.length > 0 && read.hdus.length !== expected.hdus.length) {
    return { detail: `${read.hdus.length} HDUs, the ${expected.from} says ${expected.hdus.length}`, offset: 0 };
  }
  if (size !== expected.size) return { detail: `${size} bytes, the ${expected.from} says ${expected.size}`, offset: 0 };
  if (read.sha256 !== expected.sha256) return { detail: `SHA-256 ${read.sha256}, the ${expected.from} says ${expected.sha256}`, offset: 0 };
  return undefined;
}
