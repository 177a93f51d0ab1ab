/**
 * Decoding image pixels: big-endian BITPIX 8/16/32/64/-32/-64 values turned into physical values
 * (BZERO + BSCALE × stored), integer BLANK values and IEEE NaN as NaN, the first plane of a cube.
 *
 * @module
 */
import type { HduLayout } from '../fits/hdu-layout.js';
import type { Header } from '../fits/header.js';

/** How to read one image plane of an HDU. */
export interface ImagePlane {
  bitpix: 8 | 16 | 32 | 64 | -32 | -64;
  width: number;
  height: number;
  /** Bytes per pixel. */
  bytes: number;
  bscale: number;
  bzero: number;
  /** Stored integer value meaning "no data" (integer BITPIX only). */
  blank?: number;
}

const BITPIXES = new Set([8, 16, 32, 64, -32, -64]);

/**
 * The first plane of an image HDU (NAXIS ≥ 2, every axis > 0; primary or IMAGE extension), or a reason why
 * there is none: tables, tile-compressed images (BINTABLE), 1-D data, empty data units.
 */
export function imagePlane(header: Header, layout: HduLayout): ImagePlane | { none: string } {
  if (layout.kind !== 'primary' && layout.kind !== 'image') {
    return { none: layout.compressed ? 'tile-compressed image (not decoded)' : `${layout.kind} HDU` };
  }
  if (layout.axes.length < 2 || layout.axes.some((n) => n <= 0)) return { none: `no 2-D image (NAXIS = ${layout.axes.length})` };
  if (!BITPIXES.has(layout.bitpix)) return { none: `unsupported BITPIX ${layout.bitpix}` };
  const blank = header.get('BLANK');
  return {
    bitpix: layout.bitpix as ImagePlane['bitpix'],
    width: layout.axes[0]!,
    height: layout.axes[1]!,
    bytes: Math.abs(layout.bitpix) / 8,
    bscale: header.getNumber('BSCALE') ?? 1,
    bzero: header.getNumber('BZERO') ?? 0,
    ...(typeof blank === 'number' && layout.bitpix > 0 ? { blank } : typeof blank === 'bigint' && layout.bitpix > 0 ? { blank: Number(blank) } : {}),
  };
}

/**
 * Decodes `count` pixels starting at `bytes[0]` into physical values (NaN for BLANK and NaN pixels).
 * `out` is reused when given.
 */
export function decodePixels(plane: ImagePlane, bytes: Uint8Array, count: number, out = new Float64Array(count)): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { bscale, bzero, blank } = plane;
  for (let i = 0; i < count; i++) {
    const at = i * plane.bytes;
    let raw: number;
    switch (plane.bitpix) {
      case 8: raw = view.getUint8(at); break;
      case 16: raw = view.getInt16(at, false); break;
      case 32: raw = view.getInt32(at, false); break;
      case 64: raw = Number(view.getBigInt64(at, false)); break;
      case -32: raw = view.getFloat32(at, false); break;
      case -64: raw = view.getFloat64(at, false); break;
    }
    out[i] = raw === blank ? Number.NaN : bzero + bscale * raw;
  }
  return out;
}
