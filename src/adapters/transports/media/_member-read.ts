/**
 * Reading one member back from a volume: its bytes streamed once from the recorded offset, hashed (SHA-256),
 * walked as FITS (every HDU's DATASUM/CHECKSUM verified, the primary header kept) and optionally copied to a
 * sink. Then the check against what is expected (the catalog's or the index's size, SHA-256 and HDU sums), with a
 * failure that names the volume, member, serial and byte offset. Internal to src/adapters/transports/media.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { IngestError, isIngestError } from '../../../core/errors.js';
import type { PositionedWriter } from '../../../io/durable-fs.js';
import { firstDifference, readAndVerify, type CopyRead, type ExpectedCopy } from '../../../io/read-verify.js';
import type { HduSums } from '../../../core/ports/transport.js';
import type { IndexEntry } from './_volume-index.js';

/** What reading a member found. */
export type MemberRead = CopyRead;

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
  try {
    return await readAndVerify(handle, { name: `${volume}#${entry.name}`, start: entry.offset, length: entry.size, fits: isFitsMember(entry), ...(sink ? { sink } : {}) });
  } catch (error) {
    if (!isIngestError(error, 'SOURCE_CHANGED')) throw error;
    const offset = error.context.offset ?? entry.offset;
    throw new IngestError('TRUNCATED', `the volume ends inside member ${entry.name} (${offset - entry.offset} of ${entry.size} bytes)`, {
      context: { file: volume, offset, member: entry.member, serial: entry.serial },
      cause: error,
    });
  }
}

/** What a member must be. */
export interface Expected extends ExpectedCopy {
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
  const difference = firstDifference(entry.size, read, expected);
  if (!difference) return undefined;
  return new IngestError('MEDIA_MEMBER_CORRUPT', `member ${entry.member} (${entry.name}, serial ${entry.serial}): ${difference.detail}`, {
    context: where(entry.offset + difference.offset, difference.hdu !== undefined ? { hdu: difference.hdu } : {}),
  });
}
