/**
 * Non-FITS files on disk wrapped as FITS FOREIGN objects and restored: {@link wrapForeignFile} and
 * {@link unwrapForeignFile}. Both stream in constant memory (multi-GB files are fine), write through a temporary
 * file renamed into place (a crash leaves the old state or the complete new file), and never replace an existing
 * file unless asked. The format and its convention are described in `src/core/fits/foreign.ts`.
 *
 * @module
 */
import { chmod, open, stat, utimes, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IngestError, toIngestError } from '../core/errors.js';
import { onesComplementSum } from '../core/checksum/ones-complement.js';
import { encodeHdu } from '../core/fits/build.js';
import { findForeignHdu, foreignHeader, readForeignHeader, sealForeignHeader, type ForeignFileInfo } from '../core/fits/foreign.js';
import {
  assertSumsOk,
  attachmentDateObs,
  attachmentHeader,
  readAttachmentHeader,
  type AttachmentInfo,
  type AttachmentKind,
} from '../core/fits/foreign-attachment.js';
import { sumFile } from './checksum-file.js';
import { copyRange, ownerNames, writeThroughTemp } from './_foreign-io.js';
import { writeAll } from './durable-fs.js';

/** Options of {@link wrapForeignFile}. */
export interface WrapForeignOptions {
  /** What the file is to the archive. @default 'other' */
  kind?: AttachmentKind;
  /** DATE-OBS, UT `YYYY-MM-DDThh:mm:ss[.sss]`. @default the file's modification time (or `night` at 00:00 UT) */
  dateObs?: string;
  /** The night (UT date, YYYY-MM-DD) the attachment belongs to, when `dateObs` is not given. @default undefined */
  night?: string;
  /** The program it belongs to; leave out for a whole night's attachment. @default undefined */
  program?: string;
  /** Name to record (FG_FNAME) instead of the source's base name. @default basename(source) */
  name?: string;
  /** FG_FTYPE. @default 'binary' */
  type?: 'text' | 'binary';
  /** Replace `dest` when it exists. @default false (DESTINATION_EXISTS) */
  overwrite?: boolean;
  /** Time written in DATE and the checksum comments, epoch ms. @default Date.now() */
  now?: number;
}

/** What {@link wrapForeignFile} wrote. */
export interface WrappedForeignFile {
  /** The FITS file written. */
  path: string;
  file: ForeignFileInfo;
  attachment: AttachmentInfo;
  /** SHA-256 (hex) of the wrapped file's bytes, as read. */
  sha256: string;
  /** Size of the FITS file. */
  fitsSize: number;
}

const NIGHT = /^\d{4}-\d{2}-\d{2}$/;

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

function printable(text: string): string | undefined {
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}

/**
 * Wraps a file as a FITS file: an ATTACHMENT primary header and a FOREIGN extension holding its bytes, with
 * DATASUM and CHECKSUM in both HDUs. `dest` is the FITS file to write, or an existing directory (the file is
 * then `<name>.fits` in it).
 *
 * @example
 * ```ts
 * await wrapForeignFile('/obs/logs/weather.csv', '/data/incoming', { kind: 'weather', night: '2026-11-20' })
 * ```
 * @throws IngestError FILE_NOT_FOUND, UNSAFE_DESTINATION (a name that cannot be restored safely), INVALID_OPTIONS,
 *   DESTINATION_EXISTS, SOURCE_CHANGED (the file changed while it was read; nothing is left behind).
 */
export async function wrapForeignFile(source: string, dest: string, options: WrapForeignOptions = {}): Promise<WrappedForeignFile> {
  const now = options.now ?? Date.now();
  try {
    if (options.night !== undefined && !NIGHT.test(options.night)) {
      throw new IngestError('INVALID_OPTIONS', `night ${JSON.stringify(options.night)} is not a date YYYY-MM-DD`, { context: { field: 'night' } });
    }
    const input = await open(source, 'r');
    try {
      const before = await input.stat();
      if (!before.isFile()) throw new IngestError('INVALID_OPTIONS', `${source} is not a regular file`, { context: { file: source } });
      const names = ownerNames(before.uid, before.gid);
      const file: ForeignFileInfo = {
        name: options.name ?? basename(source),
        size: before.size,
        mode: before.mode & 0o7777,
        mtimeMs: Math.round(before.mtimeMs),
        ctimeMs: Math.round(before.ctimeMs),
        type: options.type ?? 'binary',
      };
      const owner = printable(names.owner);
      const group = printable(names.group);
      if (owner) file.owner = owner;
      if (group) file.group = group;
      const dateObs = options.dateObs ?? (options.night ? `${options.night}T00:00:00` : attachmentDateObs(file.mtimeMs!));
      const attachment: AttachmentInfo = { kind: options.kind ?? 'other', dateObs };
      if (options.program !== undefined) attachment.program = options.program;
      const primary = encodeHdu(attachmentHeader(file, attachment, now))[0]!;
      const extension = foreignHeader(file);
      const target = (await isDirectory(dest)) ? join(dest, `${file.name}.fits`) : dest;
      const written = await writeThroughTemp(target, options.overwrite ?? false, async (out) => {
        await writeAll(out, primary, 0);
        const headerAt = primary.length;
        const placeholder = extension.toBytes();
        await writeAll(out, placeholder, headerAt);
        const dataAt = headerAt + placeholder.length;
        const copied = await copyRange(input, 0, file.size, out, dataAt, source);
        const after = await input.stat();
        if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
          throw new IngestError('SOURCE_CHANGED', 'the file changed while it was being wrapped', { context: { file: source } });
        }
        const fill = (2880 - (file.size % 2880)) % 2880;
        await writeAll(out, new Uint8Array(fill), dataAt + file.size);
        const sealed = sealForeignHeader(extension, copied.datasum, now).toBytes();
        if (sealed.length !== placeholder.length) throw new IngestError('INTERNAL', 'the sealed FOREIGN header changed size');
        await writeAll(out, sealed, headerAt);
        return { sha256: copied.sha256, fitsSize: dataAt + file.size + fill };
      });
      return { path: target, file, attachment, ...written };
    } finally {
      await input.close();
    }
  } catch (error) {
    throw toIngestError(error, { file: source });
  }
}

/** Options of {@link unwrapForeignFile}. */
export interface UnwrapForeignOptions {
  /** Replace an existing file. @default false (DESTINATION_EXISTS) */
  overwrite?: boolean;
  /** Restore the permission bits (rwx for user, group, others; never setuid/setgid/sticky). @default true */
  restoreMode?: boolean;
  /** Restore the modification time. @default true */
  restoreMtime?: boolean;
}

/** What {@link unwrapForeignFile} restored. */
export interface UnwrappedForeignFile {
  /** The file written. */
  path: string;
  file: ForeignFileInfo;
  attachment?: AttachmentInfo;
  /** SHA-256 (hex) of the restored bytes. */
  sha256: string;
}

/**
 * Restores the file wrapped in a FITS file: verifies every HDU's DATASUM and CHECKSUM first (a damaged wrapper
 * restores nothing), then writes the bytes with their recorded name, permissions and modification time.
 * `dest` is a directory (the recorded name is used, after {@link checkForeignName}) or the path to write.
 *
 * @example
 * ```ts
 * const { path } = await unwrapForeignFile('/archive/ATTACHMENT/20261120/lev0/ATT.20261120….fits', '/tmp/restore')
 * ```
 * @throws IngestError NOT_FITS, TRUNCATED/SIZE_OVERRUN, NOT_FOREIGN, FOREIGN_SIZE_MISMATCH, CHECKSUM_MISMATCH,
 *   UNSAFE_DESTINATION, DESTINATION_EXISTS, SOURCE_CHANGED.
 */
export async function unwrapForeignFile(fits: string, dest: string, options: UnwrapForeignOptions = {}): Promise<UnwrappedForeignFile> {
  try {
    const sums = await sumFile(fits);
    const context = { file: fits };
    const hdus = sums.hdus.map((r) => r.hdu);
    const foreign = findForeignHdu(hdus, context);
    const file = readForeignHeader(foreign, context);
    assertSumsOk(sums.hdus, context);
    const target = (await isDirectory(dest)) ? join(dest, file.name) : dest;
    const input = await open(fits, 'r');
    try {
      const sha256 = await writeThroughTemp(
        target,
        options.overwrite ?? false,
        async (out) => {
          const copied = await copyRange(input, foreign.dataOffset, file.size, out, 0, fits);
          const withFill = await addFillSum(input, foreign.dataOffset + file.size, foreign.layout.paddedSize - file.size, copied.datasum, fits);
          if (withFill !== sums.hdus[foreign.index]!.datasum) {
            throw new IngestError('SOURCE_CHANGED', 'the data changed between verification and copy', { context: { ...context, hdu: foreign.index } });
          }
          return copied.sha256;
        },
        async (temp) => {
          await chmod(temp, options.restoreMode === false || file.mode === undefined ? 0o644 : file.mode & 0o777);
          if (options.restoreMtime !== false && file.mtimeMs !== undefined) await utimes(temp, new Date(), new Date(file.mtimeMs));
        },
      );
      const result: UnwrappedForeignFile = { path: target, file, sha256 };
      const attachment = readAttachmentHeader(hdus[0]!.header);
      if (attachment) result.attachment = attachment;
      return result;
    } finally {
      await input.close();
    }
  } catch (error) {
    throw toIngestError(error, { file: fits });
  }
}

/** Adds the data fill (after the wrapped bytes) to `datasum`, as DATASUM counts it. */
async function addFillSum(input: FileHandle, at: number, length: number, datasum: number, file: string): Promise<number> {
  if (length === 0) return datasum;
  const fill = new Uint8Array(length);
  const { bytesRead } = await input.read(fill, 0, length, at);
  if (bytesRead !== length) throw new IngestError('SOURCE_CHANGED', 'the file shrank during the copy', { context: { file, offset: at + bytesRead } });
  return onesComplementSum(fill, at, datasum);
}
