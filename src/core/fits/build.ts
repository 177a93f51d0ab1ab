/**
 * Building new HDUs in memory: a header with the mandatory keywords in order, and the padded byte image of an
 * HDU. Used by simulators, tests and FOREIGN wrapping; archive copies of real files are edited, not rebuilt.
 *
 * @module
 */
import { padToBlock } from './bytes.js';
import { Header } from './header.js';
import type { FitsValue } from './header-card.js';

/** What {@link createHeader} needs. */
export interface NewHeaderOptions {
  /** `true` for the first HDU of a file (SIMPLE = T), else the XTENSION value (e.g. `IMAGE`, `BINTABLE`). */
  primary?: boolean;
  xtension?: string;
  /** @default 8 */
  bitpix?: 8 | 16 | 32 | 64 | -32 | -64;
  /** NAXIS1…NAXISn. @default [] */
  axes?: number[];
  /** @default 0 */
  pcount?: number;
  /** @default 1 */
  gcount?: number;
  /** Further keywords, in order: `[keyword, value, comment?]`. */
  cards?: ReadonlyArray<readonly [string, FitsValue, string?]>;
}

/** A new header with the mandatory keywords in the order the standard requires. */
export function createHeader(options: NewHeaderOptions = {}): Header {
  const header = new Header();
  const primary = options.primary ?? options.xtension === undefined;
  if (primary) header.set('SIMPLE', true, 'conforms to FITS standard');
  else header.set('XTENSION', options.xtension ?? 'IMAGE', 'extension type');
  header.set('BITPIX', options.bitpix ?? 8, 'bits per data value');
  const axes = options.axes ?? [];
  header.set('NAXIS', axes.length, 'number of data axes');
  axes.forEach((n, i) => header.set(`NAXIS${i + 1}`, n, `length of data axis ${i + 1}`));
  if (!primary) {
    header.set('PCOUNT', options.pcount ?? 0, 'parameter count');
    header.set('GCOUNT', options.gcount ?? 1, 'group count');
  }
  for (const [keyword, value, comment] of options.cards ?? []) header.set(keyword, value, comment);
  return header;
}

/**
 * The bytes of one HDU: header blocks, then the data padded with `fillByte` to whole blocks. Returned as two
 * arrays so large data is not copied.
 */
export function encodeHdu(header: Header, data: Uint8Array = new Uint8Array(0), fillByte = 0): Uint8Array[] {
  const parts = [header.toBytes()];
  if (data.length > 0) {
    parts.push(data);
    const fill = padToBlock(data.length) - data.length;
    if (fill > 0) parts.push(new Uint8Array(fill).fill(fillByte));
  }
  return parts;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

