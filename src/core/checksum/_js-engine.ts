/**
 * The portable checksum engine: plain JavaScript, used where WebAssembly is unavailable and for pieces too small
 * to be worth a call into WebAssembly.
 *
 * @module
 */
import type { ChecksumEngine, ScratchArena } from './engine-types.js';
import { addOnesComplement, combineLanes, rotateRightBytes } from './_arith.js';
import { scratchLayout, scratchViews } from './_scratch.js';

/** True when a Uint32Array reads bytes b0 b1 b2 b3 as b0 | b1<<8 | b2<<16 | b3<<24 (every common Node host). */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Bytes per lane pass of {@link sumBytewise}: 2^20 bytes per lane × 255 stays below 2^28. */
const BYTEWISE_SPAN = 1 << 22;

/**
 * The sum of `bytes` as a word-aligned piece, one byte at a time into four byte-lane totals. Exact for any length:
 * a trailing partial word supplies the high bytes of a word whose low bytes are zero. Slow but obviously right;
 * used for heads, tails, small pieces and big-endian hosts.
 */
export function sumBytewise(bytes: Uint8Array): number {
  let total = 0;
  for (let start = 0; start < bytes.length; start += BYTEWISE_SPAN) {
    const end = Math.min(bytes.length, start + BYTEWISE_SPAN);
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      l0 += bytes[i]!;
      l1 += bytes[i + 1]!;
      l2 += bytes[i + 2]!;
      l3 += bytes[i + 3]!;
    }
    if (i < end) l0 += bytes[i]!;
    if (i + 1 < end) l1 += bytes[i + 1]!;
    if (i + 2 < end) l2 += bytes[i + 2]!;
    total = addOnesComplement(total, combineLanes(l0, l1, l2, l3));
  }
  return total;
}

/** Words per lane pass of {@link sumWordsSwar}: 2^20 words × 255 per lane stays below 2^28. */
const SWAR_SPAN = 1 << 20;
/** Words per block: each 16-bit half of an accumulator takes 128 bytes of at most 255 (32,640 < 65,536). */
const SWAR_BLOCK = 256;

/**
 * SWAR ("SIMD within a register") sum of little-endian-loaded words; `words.length` must be a multiple of 4.
 * A word loaded as x = b0 | b1<<8 | b2<<16 | b3<<24 (b0 the most significant byte of the big-endian word):
 * `x & 0x00FF00FF` holds b0 and b2 in two 16-bit halves, `(x >>> 8) & 0x00FF00FF` holds b1 and b3. Halves are
 * added without masking for a block of 256 words (no carry can cross them), then split into byte-lane totals.
 */
function sumWordsSwar(words: Uint32Array): number {
  let total = 0;
  const n = words.length;
  for (let start = 0; start < n; start += SWAR_SPAN) {
    const spanEnd = Math.min(n, start + SWAR_SPAN);
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    for (let i = start; i < spanEnd; ) {
      const stop = Math.min(spanEnd, i + SWAR_BLOCK);
      let even = 0; // b0 (low half) and b2 (high half) of words i, i+1
      let odd = 0; // b1 and b3 of words i, i+1
      let even2 = 0; // the same for words i+2, i+3
      let odd2 = 0;
      for (; i < stop; i += 4) {
        const a = words[i]!;
        const b = words[i + 1]!;
        const c = words[i + 2]!;
        const d = words[i + 3]!;
        even += (a & 0x00ff00ff) + (b & 0x00ff00ff);
        odd += ((a >>> 8) & 0x00ff00ff) + ((b >>> 8) & 0x00ff00ff);
        even2 += (c & 0x00ff00ff) + (d & 0x00ff00ff);
        odd2 += ((c >>> 8) & 0x00ff00ff) + ((d >>> 8) & 0x00ff00ff);
      }
      l0 += (even & 0xffff) + (even2 & 0xffff);
      l1 += (odd & 0xffff) + (odd2 & 0xffff);
      l2 += (even >>> 16) + (even2 >>> 16);
      l3 += (odd >>> 16) + (odd2 >>> 16);
    }
    total = addOnesComplement(total, combineLanes(l0, l1, l2, l3));
  }
  return total;
}

/**
 * The sum of `bytes` as a word-aligned piece, in plain JavaScript: SWAR over the 4-byte-aligned middle on
 * little-endian hosts, byte lanes for the unaligned head and the tail (and everywhere on big-endian hosts).
 */
export function sumJs(bytes: Uint8Array): number {
  if (!littleEndian || bytes.length < 64) return sumBytewise(bytes);
  const head = (4 - (bytes.byteOffset & 3)) & 3;
  const wordCount = ((bytes.length - head) >>> 2) & ~3;
  const middle = sumWordsSwar(new Uint32Array(bytes.buffer, bytes.byteOffset + head, wordCount));
  const tail = sumBytewise(bytes.subarray(head + wordCount * 4));
  // The middle and tail start `head` bytes into the piece: rotate them into place.
  return addOnesComplement(sumBytewise(bytes.subarray(0, head)), rotateRightBytes(addOnesComplement(middle, tail), head));
}

/** A scratch arena in an ordinary ArrayBuffer, reallocated when a larger one is asked for. */
function createJsArena(): ScratchArena {
  let buffer = new ArrayBuffer(0);
  return {
    views(byteLength, count) {
      const { stride, required } = scratchLayout(byteLength, count);
      if (required > buffer.byteLength) buffer = new ArrayBuffer(required);
      return scratchViews(buffer, byteLength, stride, count);
    },
    sum: sumJs,
  };
}

/** The portable engine. */
export const jsEngine: ChecksumEngine = { name: 'js', sum: sumJs, createArena: createJsArena };
