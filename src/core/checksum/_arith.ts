/**
 * 32-bit ones' complement arithmetic shared by the checksum engines. Values are plain numbers holding unsigned
 * 32-bit integers (0..0xFFFFFFFF); wide intermediate sums are doubles, exact below 2^53.
 *
 * @module
 */

const TWO_32 = 0x1_0000_0000;

/**
 * Folds a non-negative integer below 2^53 into 32 bits with end-around carry: `s = low32 + high` until it fits.
 * The result is 0 only when `wide` is 0; a non-zero multiple of 0xFFFFFFFF folds to 0xFFFFFFFF (-0), never to 0,
 * so sums of the same bytes agree however they were grouped.
 */
export function fold(wide: number): number {
  let s = wide;
  while (s > 0xffff_ffff) s = (s % TWO_32) + Math.floor(s / TWO_32);
  return s;
}

/** The ones' complement sum of two 32-bit values (end-around carry). Inputs are taken modulo 2^32. */
export function addOnesComplement(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s > 0xffff_ffff ? s - 0xffff_ffff : s;
}

/**
 * Rotates a 32-bit value right by `bytes` × 8 bits (`bytes` taken mod 4). A piece of a byte stream that starts
 * `k` bytes past a word boundary contributes its own sum rotated right by 8k bits: rotation by 8 bits is
 * multiplication by 2^-8 modulo 2^32 - 1, which is what shifting every byte one place later in its word does.
 */
export function rotateRightBytes(value: number, bytes: number): number {
  const bits = (bytes & 3) * 8;
  return bits === 0 ? value >>> 0 : ((value >>> bits) | (value << (32 - bits))) >>> 0;
}

/**
 * Combines four byte-lane totals into a folded sum: `lanes[k]` is the total of the bytes at position k (mod 4) of
 * the big-endian words, so the sum is lane0·2^24 + lane1·2^16 + lane2·2^8 + lane3. Each lane must be below 2^28.
 */
export function combineLanes(lane0: number, lane1: number, lane2: number, lane3: number): number {
  return fold(fold(lane0 * 0x100_0000 + lane1 * 0x1_0000) + lane2 * 0x100 + lane3);
}
