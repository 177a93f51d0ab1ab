import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ThumbnailBuilder } from '../../../src/core/distribute/thumbnail.js';
import { zscale } from '../../../src/core/distribute/zscale.js';
import { PYTHON, requireJudge } from '../../helpers/oracles.js';

/** A deterministic image: sky, a gradient, noise, a few bright stars and hot pixels. */
function image(nx: number, ny: number, seed: number): Float64Array {
  const data = new Float64Array(nx * ny);
  let state = seed >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      let v = 1000 + 0.5 * x + (rand() + rand() + rand() - 1.5) * 40;
      for (const [sx, sy] of [[20, 30], [nx - 15, ny / 2]]) v += 30000 * Math.exp(-((x - sx!) ** 2 + (y - sy!) ** 2) / 8);
      if (rand() < 0.002) v = 60000;
      data[y * nx + x] = v;
    }
  }
  return data;
}

/** astropy's ZScaleInterval on the same values (a 2-D array, rows of nx). */
function astropyZscale(values: Float64Array, nx: number): [number, number] {
  requireJudge('astropy');
  const script = `import sys, json, numpy as np
from astropy.visualization import ZScaleInterval
v = np.array(json.load(sys.stdin), dtype=float).reshape(-1, ${nx})
print(json.dumps([float(x) for x in ZScaleInterval().get_limits(v)]))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify([...values]), encoding: 'utf8' }));
}

describe('zscale', () => {
  it.each([
    [64, 48, 1],
    [300, 200, 7],
    [33, 31, 99],
  ])('matches astropy ZScaleInterval on a %ix%i image (seed %i)', (nx, ny, seed) => {
    const values = image(nx, ny, seed);
    const [z1, z2] = astropyZscale(values, nx);
    const builder = new ThumbnailBuilder(nx, ny);
    for (let y = 0; y < ny; y++) builder.pushRow(values.subarray(y * nx, (y + 1) * nx));
    const { range } = builder.finish();
    expect(range.z1).toBeCloseTo(z1, 6);
    expect(range.z2).toBeCloseTo(z2, 6);
    expect(z2).toBeGreaterThan(z1);
    // The range excludes the stars and hot pixels: far below the maximum.
    expect(z2).toBeLessThan(2000);
  });

  it('falls back to min and max for tiny or constant samples', () => {
    expect(zscale(Float64Array.from([5, 1, 3]))).toEqual({ z1: 1, z2: 5 });
    expect(zscale(new Float64Array(0))).toEqual({ z1: 0, z2: 0 });
    const flat = zscale(new Float64Array(100).fill(7));
    expect(flat).toEqual({ z1: 7, z2: 7 });
  });
});

describe('ThumbnailBuilder', () => {
  it('averages blocks down to maxSize, ignores NaN, and puts FITS row 1 at the bottom', () => {
    const nx = 1000;
    const ny = 10;
    const builder = new ThumbnailBuilder(nx, ny, { maxSize: 100 });
    expect([builder.factor, builder.width, builder.height]).toEqual([10, 100, 1]);
    const tall = new ThumbnailBuilder(4, 4, { maxSize: 256 });
    const rows = [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2], [Number.NaN, 3, 3, 3]];
    for (const r of rows) tall.pushRow(Float64Array.from(r));
    const grey = tall.finish();
    expect([grey.width, grey.height, grey.factor]).toEqual([4, 4, 1]);
    // Top row of the PNG is the last FITS row (brightest); the NaN pixel stays black.
    expect(grey.pixels[0]).toBe(0);
    expect(grey.pixels[1]).toBe(255);
    expect(grey.pixels[12]).toBe(0);
  });
});
