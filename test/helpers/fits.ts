/** Helpers to build FITS bytes by hand in tests (independent of the code under test where it matters). */
import { concatBytes } from '../../src/core/fits/build.js';
export const card = (text: string): string => text.padEnd(80);

/** Header text from card lines, END appended, padded with spaces to whole blocks. */
export function headerText(lines: string[], { end = true } = {}): string {
  let text = lines.map(card).join('');
  if (end) text += card('END');
  return text.padEnd(Math.ceil(text.length / 2880) * 2880, ' ');
}

export const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

/** A whole HDU: header lines plus `dataSize` data bytes (pattern) and zero fill. */
export function hdu(lines: string[], dataSize = 0, fill = 0): Uint8Array {
  const head = latin1(headerText(lines));
  const padded = Math.ceil(dataSize / 2880) * 2880;
  const out = new Uint8Array(head.length + padded).fill(fill, head.length + dataSize);
  out.set(head);
  for (let i = 0; i < dataSize; i++) out[head.length + i] = (i * 31 + 7) & 0xff;
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

export const primary = (axes: number[] = [], bitpix = 8, extra: string[] = []): string[] => [
  'SIMPLE  =                    T',
  `BITPIX  = ${String(bitpix).padStart(20)}`,
  `NAXIS   = ${String(axes.length).padStart(20)}`,
  ...axes.map((n, i) => `NAXIS${i + 1}  = ${String(n).padStart(20)}`),
  ...extra,
];

export const extension = (xtension: string, axes: number[], bitpix = 8, pcount = 0, gcount = 1, extra: string[] = []): string[] => [
  `XTENSION= '${xtension.padEnd(8)}'`,
  `BITPIX  = ${String(bitpix).padStart(20)}`,
  `NAXIS   = ${String(axes.length).padStart(20)}`,
  ...axes.map((n, i) => `NAXIS${i + 1}  = ${String(n).padStart(20)}`),
  `PCOUNT  = ${String(pcount).padStart(20)}`,
  `GCOUNT  = ${String(gcount).padStart(20)}`,
  ...extra,
];
