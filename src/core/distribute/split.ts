/**
 * The `split` format's headers: one FITS file per extension of a multi-extension file, each readable alone.
 *
 * - An IMAGE extension becomes the primary HDU of its file: SIMPLE, then the extension's BITPIX and NAXISn, the
 *   original primary header's keywords (observation, telescope, program…) that the extension does not set
 *   itself, then the extension's own keywords. Its data unit is copied byte for byte.
 * - Any other extension (tables, FOREIGN) cannot be a primary HDU: its file gets an empty primary HDU carrying
 *   the original primary's keywords, followed by the extension exactly as archived.
 * - A primary HDU with data of its own is copied as it is, into a file of its own.
 *
 * Structural keywords (SIMPLE, XTENSION, BITPIX, NAXISn, PCOUNT, GCOUNT, EXTEND) and the primary's data
 * scaling (BSCALE, BZERO, BLANK) are never inherited; CHECKSUM and DATASUM are recomputed by the writer.
 *
 * @module
 */
import { createHeader } from '../fits/build.js';
import type { Card } from '../fits/header-card.js';
import type { Header } from '../fits/header.js';

const STRUCTURAL = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|EXTEND|GROUPS|CHECKSUM|DATASUM|END)$/;
const PRIMARY_ONLY = /^(BSCALE|BZERO|BLANK|INHERIT)$/;

function inheritable(card: Card): boolean {
  return !STRUCTURAL.test(card.keyword) && !PRIMARY_ONLY.test(card.keyword);
}

/** The primary header of an image extension's own file (see the module description). */
export function promotedHeader(primary: Header, extension: Header, source: { archiveId: string; hdu: number }): Header {
  const axes: number[] = [];
  const naxis = extension.getInteger('NAXIS') ?? 0;
  for (let i = 1; i <= naxis; i++) axes.push(extension.getInteger(`NAXIS${i}`) ?? 0);
  const header = createHeader({ primary: true, bitpix: (extension.getInteger('BITPIX') ?? 8) as 8, axes });
  const own = new Set(extension.cards().filter((c) => c.kind === 'value').map((c) => c.keyword));
  for (const card of primary.cards()) {
    if (inheritable(card) && !(card.kind === 'value' && own.has(card.keyword))) header.insert(card);
  }
  for (const card of extension.cards()) {
    if (!STRUCTURAL.test(card.keyword)) header.insert(card);
  }
  header.addHistory(`fits-ingest split: HDU ${source.hdu} of ${source.archiveId}, with the primary header's keywords`);
  return header;
}

/** The empty primary header placed before a non-image extension in its own file. */
export function carrierHeader(primary: Header, source: { archiveId: string; hdu: number }): Header {
  const header = createHeader({ primary: true, bitpix: 8, axes: [], cards: [['EXTEND', true, 'an extension follows']] });
  for (const card of primary.cards()) if (inheritable(card)) header.insert(card);
  header.addHistory(`fits-ingest split: HDU ${source.hdu} of ${source.archiveId} follows, as archived`);
  return header;
}

/** File name of HDU `hdu` in the split layout: `<archiveId>_<hdu two digits>[_<EXTNAME>].fits`. */
export function splitFileName(archiveId: string, hdu: number, extname?: string): string {
  const stem = archiveId.replace(/\.fits?$/i, '');
  const name = extname?.trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${stem}_${String(hdu).padStart(2, '0')}${name ? `_${name}` : ''}.fits`;
}
