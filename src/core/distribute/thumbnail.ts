/**
 * Thumbnails of image planes, built row by row so a large image costs memory for one row and the thumbnail:
 * pixels are averaged over square blocks (NaN pixels ignored) down to at most `maxSize` on a side, a zscale
 * range is computed from samples taken as astropy's ZScaleInterval takes them (every `stride`-th pixel of the
 * flattened plane, up to `nSamples`), and the blocks are stretched linearly between z1 and z2 to 8-bit grey.
 * The result is top row first with FITS row 1 at the bottom, as images are displayed (ds9, astropy imshow with
 * origin='lower').
 *
 * @module
 */
import { zscale, type ZRange, type ZScaleOptions } from './zscale.js';

/** An 8-bit grey raster, top row first. */
export interface GreyImage {
  width: number;
  height: number;
  /** width × height bytes. */
  pixels: Uint8Array;
  /** The display range used. */
  range: ZRange;
  /** Block size of the averaging (1 = full resolution). */
  factor: number;
}

/** Options of {@link ThumbnailBuilder}. */
export interface ThumbnailOptions extends ZScaleOptions {
  /** Largest side of the thumbnail. @default 256 */
  maxSize?: number;
  /** Samples for zscale. @default 1000 */
  nSamples?: number;
}

/** Accumulates the rows of one image plane (FITS order: row 1 first) into a thumbnail. */
export class ThumbnailBuilder {
  readonly factor: number;
  readonly width: number;
  readonly height: number;
  readonly #sums: Float64Array;
  readonly #counts: Uint32Array;
  readonly #samples: number[] = [];
  readonly #stride: number;
  readonly #nSamples: number;
  readonly #options: ThumbnailOptions;
  #row = 0;

  constructor(
    readonly imageWidth: number,
    readonly imageHeight: number,
    options: ThumbnailOptions = {},
  ) {
    const maxSize = options.maxSize ?? 256;
    this.#options = options;
    this.#nSamples = options.nSamples ?? 1000;
    this.factor = Math.max(1, Math.ceil(Math.max(imageWidth, imageHeight) / maxSize));
    this.width = Math.ceil(imageWidth / this.factor);
    this.height = Math.ceil(imageHeight / this.factor);
    this.#sums = new Float64Array(this.width * this.height);
    this.#counts = new Uint32Array(this.width * this.height);
    this.#stride = Math.max(1, Math.floor((imageWidth * imageHeight) / this.#nSamples));
  }

  /** Adds the next row (`imageWidth` physical values). */
  pushRow(values: Float64Array): void {
    const y = this.#row++;
    const base = Math.floor(y / this.factor) * this.width;
    const flat = y * this.imageWidth;
    let next = Math.ceil(flat / this.#stride) * this.#stride - flat;
    for (let x = 0; x < this.imageWidth; x++) {
      const v = values[x]!;
      if (x === next) {
        if (Number.isFinite(v) && this.#samples.length < this.#nSamples) this.#samples.push(v);
        next += this.#stride;
      }
      if (!Number.isFinite(v)) continue;
      const at = base + Math.floor(x / this.factor);
      this.#sums[at]! += v;
      this.#counts[at]!++;
    }
  }

  /** The stretched thumbnail (call once every row is in). */
  finish(): GreyImage {
    const range = zscale(Float64Array.from(this.#samples), this.#options);
    const span = range.z2 - range.z1;
    const pixels = new Uint8Array(this.width * this.height);
    for (let ty = 0; ty < this.height; ty++) {
      const out = (this.height - 1 - ty) * this.width;
      for (let tx = 0; tx < this.width; tx++) {
        const at = ty * this.width + tx;
        const n = this.#counts[at]!;
        if (n === 0) continue;
        const v = this.#sums[at]! / n;
        const level = span > 0 ? (v - range.z1) / span : 0.5;
        pixels[out + tx] = Math.round(255 * Math.min(1, Math.max(0, level)));
      }
    }
    return { width: this.width, height: this.height, pixels, range, factor: this.factor };
  }
}
