/**
 * Wrapped files as archive attachments: the primary header of a FOREIGN-wrapped file says what the file is to
 * the archive — `INSTRUME = 'ATTACHMENT'` (the builtin `attachment` instrument description catalogs it),
 * `DATE-OBS` (the night it belongs to, derived as for frames), `ATTKIND` (weather, log, notes, other), and
 * `PROGID` when it belongs to one program rather than to the whole night. Also the in-memory wrap and unwrap,
 * for small files, tests and the simulator (files on disk: `wrapForeignFile` / `unwrapForeignFile`).
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import { applyChecksums, HduChecksummer, verifyHduSums, type HduSumResult } from '../checksum/hdu-checksums.js';
import { onesComplementSum } from '../checksum/ones-complement.js';
import { concatBytes, createHeader, encodeHdu } from './build.js';
import { findForeignHdu, foreignHeader, readForeignHeader, sealForeignHeader, type ForeignFileInfo } from './foreign.js';
import { HduStreamParser, type HduInfo } from './hdu-stream.js';
import type { Header } from './header.js';

/** The INSTRUME value of wrapped attachments. */
export const ATTACHMENT_INSTRUMENT = 'ATTACHMENT';
/** What an attachment is (ATTKIND). */
export const ATTACHMENT_KINDS = ['weather', 'log', 'notes', 'other'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** The archive's view of a wrapped file (primary header). */
export interface AttachmentInfo {
  /** @default 'other' */
  kind?: AttachmentKind;
  /** When the attachment's content was taken, UT, `YYYY-MM-DDThh:mm:ss[.sss]`: its night is the UT date. */
  dateObs: string;
  /** The program it belongs to; absent: the whole night's. */
  program?: string;
  telescope?: string;
  observer?: string;
}

const DATE_OBS = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?)?$/;

/** DATE-OBS of an attachment for epoch ms (UT, to the millisecond). */
export function attachmentDateObs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

/** True for one of {@link ATTACHMENT_KINDS}. */
export function isAttachmentKind(value: unknown): value is AttachmentKind {
  return typeof value === 'string' && (ATTACHMENT_KINDS as readonly string[]).includes(value);
}

/**
 * The primary header of a wrapped file, DATASUM and CHECKSUM included (it has no data).
 *
 * @param now epoch ms for DATE (file written) and the checksum comments
 * @throws IngestError INVALID_OPTIONS for an unknown kind or a malformed DATE-OBS.
 */
export function attachmentHeader(file: ForeignFileInfo, attachment: AttachmentInfo, now: number): Header {
  const kind = attachment.kind ?? 'other';
  if (!isAttachmentKind(kind)) {
    throw new IngestError('INVALID_OPTIONS', `attachment kind ${JSON.stringify(kind)} is not one of ${ATTACHMENT_KINDS.join(', ')}`, { context: { field: 'kind' } });
  }
  const dateObs = attachment.dateObs;
  if (!DATE_OBS.test(dateObs) || Number.isNaN(Date.parse(dateObs.length === 10 ? dateObs : `${dateObs}Z`))) {
    throw new IngestError('INVALID_OPTIONS', `DATE-OBS ${JSON.stringify(attachment.dateObs)} is not a UT date-time YYYY-MM-DDThh:mm:ss`, { context: { field: 'dateObs' } });
  }
  const header = createHeader({
    primary: true,
    bitpix: 8,
    cards: [
      ['EXTEND', true, 'a FOREIGN extension follows'],
      ['ORIGIN', 'fits-ingest', 'software that wrapped the file'],
      ['DATE', attachmentDateObs(now).slice(0, 19), 'when this FITS file was written (UT)'],
      ['INSTRUME', ATTACHMENT_INSTRUMENT, 'a non-FITS file wrapped for the archive'],
      ['DATE-OBS', attachment.dateObs, 'UT the attached content refers to'],
      ['ATTKIND', kind, 'attachment kind: weather, log, notes or other'],
      ['FILENAME', file.name, 'name of the wrapped file'],
      ['FILESIZE', file.size, 'size of the wrapped file (bytes)'],
    ],
  });
  if (attachment.program !== undefined) header.set('PROGID', attachment.program, 'program the attachment belongs to');
  if (attachment.telescope !== undefined) header.set('TELESCOP', attachment.telescope, 'telescope');
  if (attachment.observer !== undefined) header.set('OBSERVER', attachment.observer, 'observer');
  return applyChecksums(header, 0, now);
}

/** Reads the attachment keywords of a primary header; undefined when it is not an attachment. */
export function readAttachmentHeader(header: Header): AttachmentInfo | undefined {
  if (header.getString('INSTRUME')?.trim().toUpperCase() !== ATTACHMENT_INSTRUMENT) return undefined;
  const kind = header.getString('ATTKIND')?.trim();
  const info: AttachmentInfo = { dateObs: header.getString('DATE-OBS')?.trim() ?? '', kind: isAttachmentKind(kind) ? kind : 'other' };
  const program = header.getString('PROGID')?.trim();
  if (program) info.program = program;
  return info;
}

/**
 * Wraps bytes held in memory as a FITS file (primary HDU + FOREIGN extension, both with DATASUM and CHECKSUM).
 *
 * @example
 * ```ts
 * const fits = wrapForeign(new TextEncoder().encode('clear, 2.1 m/s\n'), { name: 'weather.txt', mode: 0o644 },
 *   { kind: 'weather', dateObs: '2026-11-20T15:00:00' }, Date.now())
 * ```
 */
export function wrapForeign(
  data: Uint8Array,
  file: Omit<ForeignFileInfo, 'size'>,
  attachment: AttachmentInfo,
  now: number,
): Uint8Array {
  const info = { ...file, size: data.length };
  const extension = sealForeignHeader(foreignHeader(info), onesComplementSum(data), now);
  return concatBytes([...encodeHdu(attachmentHeader(info, attachment, now)), ...encodeHdu(extension, data)]);
}

/** What {@link unwrapForeign} returns. */
export interface UnwrappedForeign {
  file: ForeignFileInfo;
  /** Absent when the primary header is not an attachment's (e.g. a file from IRAF's fgwrite). */
  attachment?: AttachmentInfo;
  data: Uint8Array;
}

/**
 * Throws CHECKSUM_MISMATCH when an HDU's DATASUM or CHECKSUM is present and wrong. Missing sums are accepted
 * (files from other writers may have none).
 */
export function assertSumsOk(results: readonly HduSumResult[], context: ErrorContext): void {
  for (const result of results) {
    const report = verifyHduSums(result);
    if (report.datasumStatus === 'bad' || report.checksumStatus === 'bad') {
      const which = report.datasumStatus === 'bad' ? 'DATASUM' : 'CHECKSUM';
      throw new IngestError('CHECKSUM_MISMATCH', `HDU ${report.hdu}: ${which} does not match the bytes`, {
        context: { ...context, hdu: report.hdu, offset: report.headerOffset, keyword: which },
        hint: 'the wrapped file was damaged after it was written; restore it from another copy (nothing was unwrapped)',
      });
    }
  }
}

/**
 * Unwraps a FITS file held in memory: finds the FOREIGN extension, verifies the sums of every HDU, and returns
 * the original bytes (a view, not a copy) with what the headers record.
 *
 * @throws IngestError NOT_FITS / TRUNCATED (structure), NOT_FOREIGN, FOREIGN_SIZE_MISMATCH, CHECKSUM_MISMATCH,
 *   UNSAFE_DESTINATION (a recorded name that is not a plain file name).
 */
export function unwrapForeign(bytes: Uint8Array, context: ErrorContext = {}): UnwrappedForeign {
  const checksummer = new HduChecksummer();
  const parser = new HduStreamParser(checksummer, { ...(context.file ? { file: context.file } : {}), totalSize: bytes.length });
  parser.push(bytes);
  const hdus: readonly HduInfo[] = parser.end();
  const foreign = findForeignHdu(hdus, context);
  const file = readForeignHeader(foreign, context);
  assertSumsOk(checksummer.results, context);
  const result: UnwrappedForeign = { file, data: bytes.subarray(foreign.dataOffset, foreign.dataOffset + file.size) };
  const attachment = readAttachmentHeader(hdus[0]!.header);
  if (attachment) result.attachment = attachment;
  return result;
}
