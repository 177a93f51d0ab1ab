/**
 * FITS FOREIGN objects: any non-FITS file (an observing log, a weather table, observer notes, a PDF) wrapped as a
 * FITS file, and unwrapped again byte for byte. Pure: headers and bytes in, headers and bytes out; the streaming
 * file functions are in `src/io/foreign-file.ts`.
 *
 * Follows the **FITS Foreign File Encapsulation Convention** (N. Zarate, R. Seaman, D. Tody, NOAO IRAF group;
 * IAU FITS Working Group Registry of FITS Conventions, https://fits.gsfc.nasa.gov/registry/foreign.html;
 * arXiv:1201.1829), as implemented by IRAF's `fgwrite`/`fgread`. A wrapped file is:
 *
 * 1. a dataless primary HDU (NAXIS = 0, EXTEND = T) carrying the archive's metadata (see `foreign-attachment.ts`);
 * 2. one extension `XTENSION = 'FOREIGN '`, BITPIX = 8, GCOUNT = 1, with the file attribute keywords of the
 *    convention — EXTNAME (listing name), EXTVER, EXTLEVEL, FG_FNAME (file name), FG_FTYPE (`text`/`binary`),
 *    FG_LEVEL (directory level), FG_FSIZE (bytes), FG_FMODE (`-rw-r--r--`), FG_FUOWN / FG_FUGRP (owner and group
 *    names), FG_CTIME / FG_MTIME (UT, ISO 8601; we add milliseconds);
 * 3. the file's bytes as the data unit, zero-filled to a whole 2880-byte block.
 *
 * One deliberate difference: the convention sizes the data with NAXIS = 0 and PCOUNT = size. CFITSIO (fitsverify:
 * "Illegal pcount value … for image ext.") and astropy (which then finds no END card) both mis-read that form,
 * so we write the equivalent NAXIS = 1, NAXIS1 = size, PCOUNT = 0 — the same data size under the standard's
 * generic rule (FITS 4.0 §7.1). Unwrapping accepts both forms. DATASUM and CHECKSUM are written in both HDUs.
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import { applyChecksums } from '../checksum/hdu-checksums.js';
import { createHeader } from './build.js';
import type { HduInfo } from './hdu-stream.js';
import type { Header } from './header.js';

/** The XTENSION value of a wrapped file. */
export const FOREIGN_XTENSION = 'FOREIGN';

/** What the convention records about the wrapped file. */
export interface ForeignFileInfo {
  /** File name, without directories (FG_FNAME). */
  name: string;
  /** Size in bytes (FG_FSIZE). */
  size: number;
  /** Permission bits, e.g. 0o644 (FG_FMODE). */
  mode?: number;
  /** Modification time, epoch ms (FG_MTIME). */
  mtimeMs?: number;
  /** Inode change time, epoch ms (FG_CTIME); recorded, not restorable. */
  ctimeMs?: number;
  /** Owner and group names (FG_FUOWN, FG_FUGRP); recorded, not restored. */
  owner?: string;
  group?: string;
  /** FG_FTYPE: `text` or `binary`. @default 'binary' */
  type?: 'text' | 'binary';
}

const PERMISSION_LETTERS = 'rwxrwxrwx';

/** The `ls -l` form of permission bits, as FG_FMODE holds it: 0o644 → `-rw-r--r--` (setuid/setgid/sticky as s/t). */
export function formatFileMode(mode: number): string {
  const chars = [...PERMISSION_LETTERS].map((letter, i) => ((mode >> (8 - i)) & 1 ? letter : '-'));
  const special = (index: number, bit: number, on: string): void => {
    if (mode & bit) chars[index] = chars[index] === 'x' ? on : on.toUpperCase();
  };
  special(2, 0o4000, 's');
  special(5, 0o2000, 's');
  special(8, 0o1000, 't');
  return `-${chars.join('')}`;
}

/** Permission bits from an FG_FMODE value (`-rw-r--r--`, or octal digits); undefined when unreadable. */
export function parseFileMode(text: string): number | undefined {
  const value = text.trim();
  if (/^0?[0-7]{3,4}$/.test(value)) return Number.parseInt(value, 8);
  if (!/^[-dl]?[-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT]$/.test(value)) return undefined;
  const bits = value.slice(-9);
  let mode = 0;
  for (let i = 0; i < 9; i++) {
    const c = bits[i]!;
    if (c !== '-' && c !== 'S' && c !== 'T') mode |= 1 << (8 - i);
  }
  if (/[sS]/.test(bits[2]!)) mode |= 0o4000;
  if (/[sS]/.test(bits[5]!)) mode |= 0o2000;
  if (/[tT]/.test(bits[8]!)) mode |= 0o1000;
  return mode;
}

/**
 * Checks a name recorded in (or about to go into) FG_FNAME: a plain file name of printable ASCII — no directory
 * part, not `.` or `..`, no leading `-` — so that unwrapping can never write outside the directory it is given.
 *
 * @throws IngestError UNSAFE_DESTINATION naming the value.
 */
export function checkForeignName(name: string, context: ErrorContext = {}): string {
  const problem =
    name.length === 0 ? 'is empty'
    : /[^\x20-\x7e]/.test(name) ? 'has characters outside printable ASCII'
    : /[/\\]/.test(name) ? 'has a directory part (/ or \\)'
    : name === '.' || name === '..' ? 'is a directory reference'
    : name.startsWith('-') ? 'starts with "-"'
    : name.trim() !== name ? 'starts or ends with spaces'
    : name.length > 255 ? 'is longer than 255 characters'
    : undefined;
  if (problem) {
    throw new IngestError('UNSAFE_DESTINATION', `the file name ${JSON.stringify(name)} ${problem}`, {
      context: { ...context, keyword: context.keyword ?? 'FG_FNAME' },
      hint: 'a wrapped file is restored under a plain name of printable ASCII (no /, \\ or ..); rename it, or give another name when wrapping',
    });
  }
  return name;
}

/** ISO 8601 UT with milliseconds, as FG_MTIME / FG_CTIME hold it. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

function parseIsoTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?$/.test(text)) return undefined;
  const ms = Date.parse(text.endsWith('Z') ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The header of a FOREIGN extension for `file`, with DATASUM and CHECKSUM as placeholders of their final size:
 * write it, stream the data, then overwrite it with {@link sealForeignHeader} — the bytes have the same length.
 */
export function foreignHeader(file: ForeignFileInfo): Header {
  checkForeignName(file.name);
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw new IngestError('INVALID_OPTIONS', `the file size must be a non-negative integer, got ${file.size}`, { context: { field: 'size' } });
  }
  const header = createHeader({
    xtension: FOREIGN_XTENSION,
    bitpix: 8,
    axes: [file.size],
    cards: [
      ['EXTNAME', file.name, 'file name (FOREIGN file encapsulation)'],
      ['EXTVER', 1, 'extension version'],
      ['EXTLEVEL', 1, 'directory level'],
      ['FG_FNAME', file.name, 'file name'],
      ['FG_FTYPE', file.type ?? 'binary', 'file type'],
      ['FG_LEVEL', 1, 'directory level'],
      ['FG_FSIZE', file.size, 'file size (bytes)'],
    ],
  });
  header.set('NAXIS1', file.size, 'file size in bytes');
  if (file.mode !== undefined) header.set('FG_FMODE', formatFileMode(file.mode), 'file mode');
  if (file.owner !== undefined) header.set('FG_FUOWN', file.owner, 'file owner');
  if (file.group !== undefined) header.set('FG_FUGRP', file.group, 'file group');
  if (file.ctimeMs !== undefined) header.set('FG_CTIME', isoTime(file.ctimeMs), 'file ctime (UT)');
  if (file.mtimeMs !== undefined) header.set('FG_MTIME', isoTime(file.mtimeMs), 'file mtime (UT)');
  header.addComment('Wrapped by fits-ingest after the FITS Foreign File Encapsulation Convention');
  header.addComment('(fits.gsfc.nasa.gov/registry/foreign.html). Unwrap: fits-ingest foreign unwrap');
  // Placeholders of the final width, so the sealed header has exactly the same length.
  return applyChecksums(header, 0, 0);
}

/** Writes the final DATASUM and CHECKSUM into a FOREIGN header (in place) once the data's sum is known. */
export function sealForeignHeader(header: Header, datasum: number, now: number): Header {
  return applyChecksums(header, datasum, now);
}

/** True for a FOREIGN extension. */
export function isForeignHdu(hdu: Pick<HduInfo, 'layout'>): boolean {
  return hdu.layout.kind === 'foreign';
}

/**
 * Reads what a FOREIGN extension's header records, checking it against the data size (NAXIS1 or PCOUNT).
 *
 * @throws IngestError FOREIGN_SIZE_MISMATCH when FG_FSIZE disagrees with the data size; UNSAFE_DESTINATION when
 *   the recorded name is unsafe to restore (see {@link checkForeignName}).
 */
export function readForeignHeader(hdu: Pick<HduInfo, 'header' | 'layout' | 'index' | 'headerOffset'>, context: ErrorContext = {}): ForeignFileInfo {
  const where = { ...context, hdu: hdu.index, offset: hdu.headerOffset };
  if (!isForeignHdu(hdu)) {
    throw new IngestError('NOT_FOREIGN', `HDU ${hdu.index} is ${hdu.layout.xtension ?? 'the primary HDU'}, not a FOREIGN extension`, { context: where });
  }
  const { header, layout } = hdu;
  if (layout.bitpix !== 8 || layout.gcount !== 1) {
    throw new IngestError('FOREIGN_SIZE_MISMATCH', `a FOREIGN extension has BITPIX = 8 and GCOUNT = 1 (found ${layout.bitpix} and ${layout.gcount})`, { context: { ...where, keyword: 'BITPIX' } });
  }
  const stated = header.get('FG_FSIZE');
  if (stated !== undefined && stated !== layout.dataSize) {
    throw new IngestError('FOREIGN_SIZE_MISMATCH', `FG_FSIZE says ${String(stated)} bytes but the data unit holds ${layout.dataSize}`, { context: { ...where, keyword: 'FG_FSIZE' } });
  }
  const rawName = header.getString('FG_FNAME') ?? header.getString('EXTNAME');
  if (rawName === undefined) {
    throw new IngestError('NOT_FOREIGN', 'the FOREIGN extension records no file name (FG_FNAME or EXTNAME)', { context: { ...where, keyword: 'FG_FNAME' } });
  }
  const info: ForeignFileInfo = { name: checkForeignName(rawName.trim(), where), size: layout.dataSize };
  const mode = header.getString('FG_FMODE');
  const parsedMode = mode === undefined ? undefined : parseFileMode(mode);
  if (parsedMode !== undefined) info.mode = parsedMode;
  const mtime = parseIsoTime(header.get('FG_MTIME'));
  if (mtime !== undefined) info.mtimeMs = mtime;
  const ctime = parseIsoTime(header.get('FG_CTIME'));
  if (ctime !== undefined) info.ctimeMs = ctime;
  const owner = header.getString('FG_FUOWN')?.trim();
  if (owner) info.owner = owner;
  const group = header.getString('FG_FUGRP')?.trim();
  if (group) info.group = group;
  const type = header.getString('FG_FTYPE')?.trim().toLowerCase();
  if (type === 'text' || type === 'binary') info.type = type;
  return info;
}

/**
 * The FOREIGN extension of a file's HDUs: the first one (a file may hold others, e.g. from IRAF's fgwrite).
 *
 * @throws IngestError NOT_FOREIGN when there is none.
 */
export function findForeignHdu<H extends Pick<HduInfo, 'layout'>>(hdus: readonly H[], context: ErrorContext = {}): H {
  const found = hdus.find(isForeignHdu);
  if (!found) {
    const kinds = hdus.map((h) => h.layout.xtension ?? 'primary').join(', ');
    throw new IngestError('NOT_FOREIGN', `no FOREIGN extension among the ${hdus.length} HDU(s) (${kinds})`, { context });
  }
  return found;
}
