/**
 * Byte ↔ string conversion that maps every byte to one UTF-16 code unit and back (ISO-8859-1 in the strict
 * sense). WHATWG's TextDecoder('latin1') is really windows-1252 and would remap 0x80–0x9F, so it cannot be used
 * where headers must re-serialize byte for byte.
 */

/** FITS logical record length. */
export const BLOCK = 2880;
/** FITS header card length. */
export const CARD = 80;
/** Cards per header block. */
export const CARDS_PER_BLOCK = 36;

const SLICE = 8192;

/** Decodes bytes 1:1 into a string of code units 0–255. */
export function bytesToLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  for (let i = start; i < end; i += SLICE) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + SLICE)) as unknown as number[]);
  }
  return out;
}

/** Encodes a string of code units 0–255 into bytes; a code unit above 255 throws a RangeError. */
export function latin1ToBytes(text: string, target = new Uint8Array(text.length), at = 0): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`character ${JSON.stringify(text[i])} at ${i} is not a single byte`);
    target[at + i] = c;
  }
  return target;
}

/** Rounds a byte count up to whole 2880-byte blocks. */
export function padToBlock(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** True when bytes[at..at+8) spell the END keyword followed by blanks ("END     "). */
export function isEndKeyword(bytes: Uint8Array, at: number): boolean {
  return (
    bytes[at] === 0x45 &&
    bytes[at + 1] === 0x4e &&
    bytes[at + 2] === 0x44 &&
    bytes[at + 3] === 0x20 &&
    bytes[at + 4] === 0x20 &&
    bytes[at + 5] === 0x20 &&
    bytes[at + 6] === 0x20 &&
    bytes[at + 7] === 0x20
  );
}

/**
 * Index of the first card, counted from `from`, whose keyword field is END, scanning whole cards in
 * bytes[from..end); -1 if none.
 */
export function findEndCard(bytes: Uint8Array, from: number, end = bytes.length): number {
  for (let at = from; at + 8 <= end; at += CARD) {
    if (isEndKeyword(bytes, at)) return (at - from) / CARD;
  }
  return -1;
}

/** Characters of a standard keyword. */
export const KEYWORD_CHARS = /^[A-Z0-9_-]*$/;

/** True when `text` has a character outside printable ASCII (0x20–0x7E). */
export function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}
