/**
 * IRAF's zscale display range, as astropy's `ZScaleInterval` computes it (the reference implementation of
 * stsci.numdisplay): sort up to `nSamples` samples, fit a straight line to them with iterative k-sigma rejection
 * (the rejected mask dilated by 1% of the samples), and take the range the line spans around the median,
 * its slope divided by the contrast. Falls back to the samples' minimum and maximum when too many are rejected.
 *
 * @module
 */

/** Parameters of {@link zscale}, with astropy's defaults. */
export interface ZScaleOptions {
  /** @default 0.25 */
  contrast?: number;
  /** @default 0.5 */
  maxReject?: number;
  /** @default 5 */
  minPixels?: number;
  /** @default 2.5 */
  krej?: number;
  /** @default 5 */
  maxIterations?: number;
}

/** The display range. */
export interface ZRange {
  z1: number;
  z2: number;
}

/** Least-squares line through (i, y[i]) for the good points: [slope, intercept]. */
function fitLine(y: Float64Array, bad: Uint8Array): [number, number] {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (bad[i]) continue;
    n++;
    sx += i;
    sy += y[i]!;
    sxx += i * i;
    sxy += i * y[i]!;
  }
  const det = n * sxx - sx * sx;
  if (det === 0) return [0, n ? sy / n : 0];
  const slope = (n * sxy - sx * sy) / det;
  return [slope, (sy - slope * sx) / n];
}

/** numpy `convolve(mask, ones(width), 'same')` on booleans: a dilation of the mask. */
function dilate(mask: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  const offset = Math.floor((width - 1) / 2);
  for (let i = 0; i < mask.length; i++) {
    const from = Math.max(0, i + offset - (width - 1));
    const to = Math.min(mask.length - 1, i + offset);
    for (let j = from; j <= to; j++) {
      if (mask[j]) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}

/**
 * The zscale range of `samples` (finite values, in any order; the array is sorted in place). An empty sample
 * gives `{ z1: 0, z2: 0 }`.
 */
export function zscale(samples: Float64Array, options: ZScaleOptions = {}): ZRange {
  const { contrast = 0.25, maxReject = 0.5, minPixels = 5, krej = 2.5, maxIterations = 5 } = options;
  const npix = samples.length;
  if (npix === 0) return { z1: 0, z2: 0 };
  samples.sort();
  let z1 = samples[0]!;
  let z2 = samples[npix - 1]!;
  const minpix = Math.max(minPixels, Math.floor(npix * maxReject));
  const ngrow = Math.max(1, Math.floor(npix * 0.01));
  let bad: Uint8Array = new Uint8Array(npix);
  let good = npix;
  let lastGood = npix + 1;
  let fit: [number, number] = [0, 0];
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (good >= lastGood || good < minpix) break;
    fit = fitLine(samples, bad);
    const flat = new Float64Array(npix);
    let sum = 0;
    for (let i = 0; i < npix; i++) {
      flat[i] = samples[i]! - (fit[0] * i + fit[1]);
      if (!bad[i]) sum += flat[i]!;
    }
    const mean = sum / good;
    let squares = 0;
    for (let i = 0; i < npix; i++) if (!bad[i]) squares += (flat[i]! - mean) ** 2;
    const threshold = krej * Math.sqrt(squares / good);
    for (let i = 0; i < npix; i++) if (flat[i]! < -threshold || flat[i]! > threshold) bad[i] = 1;
    bad = dilate(bad, ngrow);
    lastGood = good;
    good = bad.reduce((n, b) => n + (b ? 0 : 1), 0);
  }
  if (good >= minpix) {
    const slope = contrast > 0 ? fit[0] / contrast : fit[0];
    const center = Math.floor((npix - 1) / 2);
    const median = npix % 2 ? samples[center]! : (samples[npix / 2 - 1]! + samples[npix / 2]!) / 2;
    z1 = Math.max(z1, median - (center - 1) * slope);
    z2 = Math.min(z2, median + (npix - center) * slope);
  }
  return { z1, z2 };
}
