/**
 * Reading one member back from a volume: its bytes streamed once from the recorded offset, hashed (SHA-256),
 * walked as FITS (every HDU's DATASUM/CHECKSUM verified, the primary header kept) and optionally copied to a
 * sink. Then the check against what is expected (the catalog's or the index's size, SHA-256 and HDU sums), with a
 * failure that names the volume, member, serial and byte offset. Internal to src/adapters/transports/media.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { verifyHduSums, type HduChecksumReport, type HduSumResult } from '../../../core/checksum/hdu-checksums.js';
import { IngestError, isIngestError, toIngestError } from '../../../core/errors.js';
import type { PositionedWriter } from '../../../io/durable-fs.js';
import { hduWalker } from '../../../io/hdu-walker.js';
import { fileSink, pump, type PumpSink } from '../../../io/byte-pump.js';
import type { Header } from '../../../core/fits/header.js';
import type { HduSums } from '../../../core/ports/transport.js';
import type { IndexEntry } from './_volume-index.js';

/** What reading a member found. */
export interface MemberRead {
  sha256: string;
  /** Per-HDU verdicts (FITS members). */
  hdus: HduChecksumReport[];
  /** The primary header (FITS members). */
  primary?: Header;
  /** Structural FITS problem, if the member did not parse. */
  fitsError?: IngestError;
}

/** A member is read as FITS when the index has HDU sums or its name says FITS. */
export const isFitsMember = (entry: IndexEntry): boolean => (entry.hdus?.length ?? 0) > 0 || /\.(fits|fit|fts|fz)(\.gz)?$/i.test(entry.name);

/**
 * Streams the member's bytes once through the byte pump: hash, FITS sums, and `sink` (e.g. a restore target: a
 * file written from offset 0 with positioned writes, or a function given each chunk in order). A volume that ends
 * inside the member is TRUNCATED, naming the member, serial and offset.
 */
export async function readMember(
  handle: FileHandle,
  volume: string,
  entry: IndexEntry,
  sink?: ((chunk: Uint8Array) => Promise<void>) | PositionedWriter,
): Promise<MemberRead> {
  const hash = createHash('sha256');
  const walker = isFitsMember(entry) ? hduWalker({ file: `${volume}#${entry.name}`, totalSize: entry.size }) : undefined;
  let fitsError: IngestError | undefined;
  // A member that is not valid FITS is still hashed to the end: the walker stops at its first error.
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
  try {
    await pump(handle, { file: volume, start: entry.offset, length: entry.size, observers: fits ? [hash, fits] : [hash], sinks });
  } catch (error) {
    if (!isIngestError(error, 'SOURCE_CHANGED')) throw error;
    const offset = error.context.offset ?? entry.offset;
    throw new IngestError('TRUNCATED', `the volume ends inside member ${entry.name} (${offset - entry.offset} of ${entry.size} bytes)`, {
      context: { file: volume, offset, member: entry.member, serial: entry.serial },
      cause: error,
    });
  }
  let results: HduSumResult[] = [];
  if (walker && !fitsError) {
    try {
      results = walker.end();
    } catch (error) {
      fitsError = toIngestError(error);
    }
  }
  const read: MemberRead = { sha256: hash.digest('hex'), hdus: fitsError ? [] : results.map(verifyHduSums) };
  if (results[0] && !fitsError) read.primary = results[0].hdu.header;
  if (fitsError) read.fitsError = fitsError;
  return read;
}

/** What a member must be. */
export interface Expected {
  size: number;
  sha256: string;
  hdus?: HduSums[];
  /** Where the expectation comes from, for messages: `catalog` or `index`. */
  from: 'catalog' | 'index';
}

/** The first way the member differs from `expected`, as MEDIA_MEMBER_CORRUPT naming where; undefined if intact. */
export function checkMember(volume: string, entry: IndexEntry, read: MemberRead, expected: Expected): IngestError | undefined {
  const where = (offset: number, extra: Record<string, number> = {}) => ({
    file: volume,
    offset,
    member: entry.member,
    name: entry.name,
    serial: entry.serial,
    ...(entry.archiveId !== undefined ? { archiveId: entry.archiveId } : {}),
    ...extra,
  });
  const fail = (detail: string, offset: number, extra?: Record<string, number>) =>
    new IngestError('MEDIA_MEMBER_CORRUPT', `member ${entry.member} (${entry.name}, serial ${entry.serial}): ${detail}`, { context: where(offset, extra) });
  if (read.fitsError) return fail(`not a valid FITS file: ${read.fitsError.detail}`, entry.offset + (read.fitsError.context.offset ?? 0));
  for (const hdu of read.hdus) {
    if (hdu.datasumStatus === 'bad' || hdu.checksumStatus === 'bad') {
      const what = hdu.datasumStatus === 'bad' ? 'DATASUM' : 'CHECKSUM';
      return fail(`HDU ${hdu.hdu} fails its ${what}`, entry.offset + (hdu.datasumStatus === 'bad' ? hdu.dataOffset : hdu.headerOffset), { hdu: hdu.hdu });
    }
    const want = expected.hdus?.find((h) => h.index === hdu.hdu);
    if (want && want.datasum !== hdu.datasum) {
      return fail(`HDU ${hdu.hdu} has DATASUM ${hdu.datasum}, the ${expected.from} says ${want.datasum}`, entry.offset + hdu.dataOffset, { hdu: hdu.hdu });
    }
  }
  if (expected.hdus && read.hdus.length > 0 && read.hdus.length !== expected.hdus.length) {
    return fail(`${read.hdus.length} HDUs, the ${expected.from} says ${expected.hdus.length}`, entry.offset);
  }
  if (entry.size !== expected.size) return fail(`${entry.size} bytes, the ${expected.from} says ${expected.size}`, entry.offset);
  if (read.sha256 !== expected.sha256) return fail(`SHA-256 ${read.sha256}, the ${expected.from} says ${expected.sha256}`, entry.offset);
  return undefined;
}
