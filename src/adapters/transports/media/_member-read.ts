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
import { HduChecksummer, verifyHduSums, type HduChecksumReport } from '../../../core/checksum/hdu-checksums.js';
import { ChecksumAccumulator } from '../../../core/checksum/ones-complement.js';
import { IngestError, toIngestError } from '../../../core/errors.js';
import { HduStreamParser } from '../../../core/fits/hdu-stream.js';
import type { Header } from '../../../core/fits/header.js';
import type { HduSums } from '../../../core/ports/transport.js';
import type { IndexEntry } from './_volume-index.js';

const CHUNK = 4 * 1024 * 1024;

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

/** Streams the member's bytes once: hash, FITS sums, and `sink` (e.g. a restore target). */
export async function readMember(
  handle: FileHandle,
  volume: string,
  entry: IndexEntry,
  sink?: (chunk: Uint8Array) => Promise<void>,
): Promise<MemberRead> {
  const hash = createHash('sha256');
  const fits = isFitsMember(entry);
  const checksummer = fits ? new HduChecksummer(new ChecksumAccumulator()) : undefined;
  const parser = checksummer && new HduStreamParser(checksummer, { file: `${volume}#${entry.name}`, totalSize: entry.size });
  let fitsError: IngestError | undefined;
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(entry.size, 1)));
  let done = 0;
  while (done < entry.size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, entry.size - done), entry.offset + done);
    if (bytesRead === 0) {
      throw new IngestError('TRUNCATED', `the volume ends inside member ${entry.name} (${done} of ${entry.size} bytes)`, {
        context: { file: volume, offset: entry.offset + done, member: entry.member, serial: entry.serial },
      });
    }
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    if (parser && !fitsError) {
      try {
        parser.push(chunk);
      } catch (error) {
        fitsError = toIngestError(error);
      }
    }
    if (sink) await sink(chunk);
    done += bytesRead;
  }
  if (parser && !fitsError) {
    try {
      parser.end();
    } catch (error) {
      fitsError = toIngestError(error);
    }
  }
  const results = checksummer?.results ?? [];
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
