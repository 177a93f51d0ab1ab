/**
 * Layout of a scratch arena shared by the engines: disjoint views, each starting on a 64-byte boundary so the fast
 * paths never need a head fix-up.
 *
 * @module
 */
import { IngestError } from '../errors.js';

/** The largest view a scratch arena hands out (1 GiB); larger reads gain nothing and strain memory. */
export const MAX_SCRATCH_BYTES = 1 << 30;

/** The most views one arena hands out at once. */
export const MAX_SCRATCH_VIEWS = 16;

/** Where `count` views of `byteLength` bytes go, and how many bytes of memory they need together. */
export function scratchLayout(byteLength: number, count: number): { stride: number; required: number } {
  if (!Number.isSafeInteger(byteLength) || byteLength < 1 || byteLength > MAX_SCRATCH_BYTES) {
    throw new IngestError('INVALID_OPTIONS', `scratch byteLength must be an integer from 1 to ${MAX_SCRATCH_BYTES}, got ${byteLength}`, {
      context: { field: 'byteLength' },
    });
  }
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SCRATCH_VIEWS) {
    throw new IngestError('INVALID_OPTIONS', `scratch count must be an integer from 1 to ${MAX_SCRATCH_VIEWS}, got ${count}`, {
      context: { field: 'count' },
    });
  }
  const stride = Math.ceil(byteLength / 64) * 64;
  const required = count * stride;
  if (required > MAX_SCRATCH_BYTES * 2) {
    throw new IngestError('INVALID_OPTIONS', `scratch views of ${count} × ${byteLength} bytes exceed ${MAX_SCRATCH_BYTES * 2} bytes`, {
      context: { field: 'count' },
    });
  }
  return { stride, required };
}

/** The `count` views laid out by {@link scratchLayout} over `buffer`. */
export function scratchViews(buffer: ArrayBufferLike, byteLength: number, stride: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new Uint8Array(buffer, i * stride, byteLength));
}
