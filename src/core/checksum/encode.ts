/**
 * The FITS CHECKSUM/DATASUM value formats (FITS Standard 4.0 §4.4.2.7, Appendix J).
 *
 * Writing the keywords of one HDU:
 * 1. DATASUM = the ones' complement sum of the data records, fill included, as an unsigned decimal string
 *    ({@link formatDatasum}; '0' when there is no data).
 * 2. CHECKSUM = {@link CHECKSUM_PLACEHOLDER} (16 ASCII zeros, the opening quote in column 11).
 * 3. Sum the header records, seeded with the data sum, and write {@link encodeChecksum}(sum) — the complement of
 *    the sum in the 16-character encoding — over the zeros ({@link checksumForHeader} does steps 3's arithmetic).
 *    Each character is 0x30 plus part of one byte of the complement, so replacing the zeros adds exactly the
 *    complement to the sum; the one-place rotation of the string puts every character into its byte lane, because
 *    the value starts at column 12, byte 11 ≡ 3 (mod 4) of the card. The whole HDU then sums to 0xFFFFFFFF (-0).
 *
 * Verifying: the HDU sums to 0xFFFFFFFF (CFITSIO also accepts 0), and the data sum equals DATASUM.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { addOnesComplement } from './_arith.js';
import { onesComplementSum } from './ones-complement.js';

/** The value CHECKSUM holds while the header is summed. */
export const CHECKSUM_PLACEHOLDER = '0000000000000000';

/** Characters the encoding avoids: the punctuation between the digits and the letters. */
const excluded = (c: number): boolean => (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60);

/** Moves a pair of characters apart (first +1, second −1; their sum is kept) until neither is punctuation. */
function clearPunctuation(first: number, second: number): [number, number] {
  let a = first;
  let b = second;
  while (excluded(a) || excluded(b)) {
    a++;
    b--;
  }
  return [a, b];
}

const ENCODED = /^[0-9A-Za-z]{16}$/;

function assertUint32(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new IngestError('INVALID_OPTIONS', `${field} must be an integer from 0 to 4294967295, got ${value}`, {
      context: { field },
    });
  }
}

/**
 * The 16-character FITS encoding of a 32-bit sum: each byte b (most significant first) becomes four characters
 * of `b >> 2` + 0x30, the first also taking `b & 3`; within the pairs (1st, 2nd) and (3rd, 4th), while either
 * character is punctuation (0x3A–0x40, 0x5B–0x60), the first goes up by one and the second down by one. The
 * characters are interleaved (1st of each byte, then 2nd of each byte, …) and the string rotated one place right.
 *
 * @param sum The sum, 0..0xFFFFFFFF.
 * @param complement Encode `~sum` (default: the CHECKSUM keyword stores the complement).
 * @throws IngestError `INVALID_OPTIONS` if `sum` is not a 32-bit unsigned integer.
 */
export function encodeChecksum(sum: number, complement = true): string {
  assertUint32(sum, 'sum');
  const value = complement ? ~sum >>> 0 : sum;
  const ascii = new Array<number>(16);
  for (let byteIndex = 0; byteIndex < 4; byteIndex++) {
    const byte = (value >>> (24 - 8 * byteIndex)) & 0xff;
    const quarter = (byte >>> 2) + 0x30;
    const [c0, c1] = clearPunctuation(quarter + (byte & 3), quarter);
    const [c2, c3] = clearPunctuation(quarter, quarter);
    ascii[byteIndex] = c0;
    ascii[4 + byteIndex] = c1;
    ascii[8 + byteIndex] = c2;
    ascii[12 + byteIndex] = c3;
  }
  return String.fromCharCode(ascii[15]!, ...ascii.slice(0, 15));
}

/**
 * The sum a 16-character CHECKSUM encodes: the rotation undone, 0x30 taken from every character, and the four
 * resulting big-endian words added with end-around carry (as CFITSIO does, so any string of the alphabet decodes;
 * decode(encode(x)) = x for every x).
 *
 * @param text Exactly 16 characters of 0-9, A-Z, a-z (trim the keyword value first).
 * @param complement Return the complement of the encoded value (default, matching {@link encodeChecksum}).
 * @throws IngestError `BAD_CHECKSUM_ENCODING` if `text` is not 16 characters of the alphabet.
 */
export function decodeChecksum(text: string, complement = true): number {
  if (!ENCODED.test(text)) {
    throw new IngestError(
      'BAD_CHECKSUM_ENCODING',
      `${JSON.stringify(text)} (${text.length} characters) is not a FITS checksum encoding: 16 characters of 0-9, A-Z, a-z`,
    );
  }
  const words = new Uint8Array(16);
  for (let i = 0; i < 16; i++) words[i] = text.charCodeAt((i + 1) % 16) - 0x30;
  const sum = onesComplementSum(words);
  return complement ? ~sum >>> 0 : sum;
}

/** The DATASUM value: the sum as an unsigned decimal string. */
export function formatDatasum(sum: number): string {
  assertUint32(sum, 'sum');
  return String(sum);
}

/**
 * The sum a DATASUM value states (leading and trailing spaces ignored).
 *
 * @throws IngestError `BAD_CHECKSUM_ENCODING` if `text` is not an unsigned decimal integer below 2^32 (a blank
 *   DATASUM included: whether a blank means 0 is the verifier's decision).
 */
export function parseDatasum(text: string): number {
  const digits = text.trim();
  const value = /^\d{1,10}$/.test(digits) ? Number(digits) : Number.NaN;
  if (!(value <= 0xffff_ffff)) {
    throw new IngestError('BAD_CHECKSUM_ENCODING', `DATASUM ${JSON.stringify(text)} is not an unsigned 32-bit integer`, {
      context: { keyword: 'DATASUM' },
      hint: "DATASUM must be a string of decimal digits below 4294967296, e.g. '2503531142'",
    });
  }
  return value;
}

/**
 * The CHECKSUM value to write over {@link CHECKSUM_PLACEHOLDER} so that the whole HDU sums to 0xFFFFFFFF.
 *
 * @param headerSum The sum of the header records as they will be written, with CHECKSUM = '0000000000000000' and
 *   the final DATASUM in place.
 * @param dataSum The sum of the data records (the DATASUM value).
 */
export function checksumForHeader(headerSum: number, dataSum: number): string {
  assertUint32(headerSum, 'headerSum');
  assertUint32(dataSum, 'dataSum');
  return encodeChecksum(addOnesComplement(headerSum, dataSum), true);
}
