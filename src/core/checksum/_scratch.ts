/**
 * Layout of a scratch arena shared by the engines: two disjoint views, each starting on a 64-byte boundary so the
 * fast paths never need a head fix-up.
 *
 * @module
 */
import { IngestError } from '../errors.js';

/** The largest view a scratch arena hands out (1 GiB); larger reads gain nothing and strain memory. */
export const MAX_SCRATCH_BYTES = 1 << 30;

/** Where the two views of `byteLength` bytes go, and how many bytes of memory they need. */
export function scratchLayout(byteLength: number): { stride: number; required: number } {
  if (!Number.isSafeInteger(byteLength) || byteLength < 1 || byteLength > MAX_SCRATCH_BYTES) {
    throw new IngestError('INVALID_OPTIONS', `scratch byteLength must be an integer from 1 to ${MAX_SCRATCH_BYTES}, got ${byteLength}`, {
      context: { field: 'byteLength' },
    });
  }
  const stride = Math.ceil(byteLength / 64) * 64;
  return { stride, required: 2 * stride };
}

/** The two views laid out by {@link scratchLayout} over `buffer`. */
export function scratchViews(buffer: ArrayBufferLike, byteLength: number, stride: number): readonly [Uint8Array, Uint8Array] {
  return [new Uint8Array(buffer, 0, byteLength), new Uint8Array(buffer, stride, byteLength)];
}
