/**
 * A deliberately plain reference for the ones' complement sum, independent of the code under test: pad the bytes
 * to whole words with zeros, add the big-endian words as BigInts, fold the carries back in.
 */
export function referenceSum(bytes: Uint8Array, streamOffset = 0): number {
  // Place the piece at its offset within a word, as the stream would: leading zero bytes change nothing.
  const lead = streamOffset % 4;
  const padded = new Uint8Array(Math.ceil((lead + bytes.length) / 4) * 4);
  padded.set(bytes, lead);
  let total = 0n;
  for (let i = 0; i < padded.length; i += 4) {
    const word = padded[i]! * 0x1000000 + padded[i + 1]! * 0x10000 + padded[i + 2]! * 0x100 + padded[i + 3]!;
    total += BigInt(word);
  }
  while (total > 0xffffffffn) total = (total & 0xffffffffn) + (total >> 32n);
  return Number(total);
}

/** Random bytes from a seed (xorshift), reproducible across runs. */
export function seededBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A copy of `bytes` whose byteOffset within its buffer is `misalign`. */
export function misaligned(bytes: Uint8Array, misalign: number): Uint8Array {
  const buffer = new Uint8Array(bytes.length + misalign);
  buffer.set(bytes, misalign);
  return buffer.subarray(misalign);
}
