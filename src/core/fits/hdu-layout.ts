/**
 * The size and kind of an HDU's data unit, computed from its header (FITS Standard 4.0 §4.4.1, §6, §7).
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import { padToBlock } from './bytes.js';
import type { Header } from './header.js';

/** What an HDU is. `extension` is a conforming extension of a type we do not know (sized by the generic rule). */
export type HduKind = 'primary' | 'image' | 'table' | 'bintable' | 'random-groups' | 'foreign' | 'extension';

/** Layout of one HDU's data unit. */
export interface HduLayout {
  kind: HduKind;
  /** The XTENSION value (trimmed), absent for the primary HDU. */
  xtension?: string;
  bitpix: number;
  /** NAXIS1…NAXISn. */
  axes: number[];
  pcount: number;
  gcount: number;
  /** Bytes of data (heap and gap included), without the fill to the block boundary. */
  dataSize: number;
  /** dataSize rounded up to whole 2880-byte blocks. */
  paddedSize: number;
  /** The byte the data fill is made of: spaces for ASCII tables, zeros otherwise. */
  fillByte: number;
  /** A tile-compressed image (BINTABLE with ZIMAGE = T). */
  compressed: boolean;
}

const BITPIX = new Set([8, 16, 32, 64, -32, -64]);

function mandatoryInteger(
  header: Header,
  keyword: string,
  context: ErrorContext,
  check: (n: number) => boolean,
  rule: string,
  fallback?: number,
): number {
  const value = header.get(keyword);
  if (value === undefined && fallback !== undefined) return fallback;
  const ok = typeof value === 'number' && Number.isInteger(value) && header.card(keyword)?.valueType === 'integer';
  if (!ok || !check(value as number)) {
    const found = value === undefined ? 'missing' : `${String(value)}`;
    throw new IngestError('BAD_KEYWORD_VALUE', `${keyword} is ${found}; it must be ${rule}`, {
      context: { ...context, keyword },
    });
  }
  return value as number;
}

/**
 * Computes the data layout of an HDU from its header. Throws BAD_KEYWORD_VALUE (naming the keyword) when a
 * mandatory keyword is missing or impossible.
 *
 * @param primary whether this is the first HDU of the file
 */
export function dataLayout(header: Header, primary: boolean, context: ErrorContext = {}): HduLayout {
  const bitpix = mandatoryInteger(header, 'BITPIX', context, (n) => BITPIX.has(n), 'one of 8, 16, 32, 64, -32, -64');
  const naxis = mandatoryInteger(header, 'NAXIS', context, (n) => n >= 0 && n <= 999, 'an integer from 0 to 999');
  const axes: number[] = [];
  for (let n = 1; n <= naxis; n++) {
    axes.push(mandatoryInteger(header, `NAXIS${n}`, context, (v) => v >= 0, 'a non-negative integer'));
  }
  let xtension: string | undefined;
  let kind: HduKind;
  if (primary) {
    const groups = header.get('GROUPS') === true && axes[0] === 0;
    kind = groups ? 'random-groups' : 'primary';
  } else {
    const value = header.get('XTENSION');
    if (typeof value !== 'string') {
      throw new IngestError('BAD_KEYWORD_VALUE', 'XTENSION is missing or not a string', {
        context: { ...context, keyword: 'XTENSION' },
      });
    }
    xtension = value.trim();
    const known: Record<string, HduKind> = {
      IMAGE: 'image',
      TABLE: 'table',
      BINTABLE: 'bintable',
      FOREIGN: 'foreign',
      IUEIMAGE: 'image',
      A3DTABLE: 'bintable',
    };
    kind = known[xtension.toUpperCase()] ?? 'extension';
  }
  // PCOUNT/GCOUNT are mandatory in extensions; in a primary HDU they exist only for random groups.
  const optional = kind === 'primary';
  const pcount = mandatoryInteger(header, 'PCOUNT', context, (n) => n >= 0, 'a non-negative integer', optional ? 0 : undefined);
  const gcount = mandatoryInteger(header, 'GCOUNT', context, (n) => n >= 0, 'a non-negative integer', optional ? 1 : undefined);

  let product: number;
  if (naxis === 0) product = 0;
  else if (kind === 'random-groups') product = axes.slice(1).reduce((a, b) => a * b, 1);
  else product = axes.reduce((a, b) => a * b, 1);
  const bytesPerValue = Math.abs(bitpix) / 8;
  const dataSize = kind === 'primary' ? bytesPerValue * product : bytesPerValue * gcount * (pcount + product);
  if (!Number.isSafeInteger(dataSize)) {
    throw new IngestError('BAD_KEYWORD_VALUE', `the declared data size (${dataSize} bytes) is impossibly large`, {
      context: { ...context, keyword: 'NAXIS' },
    });
  }
  const compressed = kind === 'bintable' && header.get('ZIMAGE') === true;
  const layout: HduLayout = {
    kind,
    bitpix,
    axes,
    pcount,
    gcount,
    dataSize,
    paddedSize: padToBlock(dataSize),
    fillByte: kind === 'table' ? 0x20 : 0,
    compressed,
  };
  if (xtension !== undefined) layout.xtension = xtension;
  return layout;
}
