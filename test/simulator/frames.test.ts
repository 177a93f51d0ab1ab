/**
 * Simulated frames look like detector data, measured on their pixels: biases sit at the bias level with the read
 * noise, every frame has a bias-only overscan strip, objects have a sky background, stars with a compact PSF and
 * cosmic-ray hits, flats are vignetted; all deterministic from the seed. The object frame's thumbnail is kept
 * in test-artifacts/ to look at.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ThumbnailBuilder } from '../../src/core/distribute/thumbnail.js';
import { writePng } from '../../src/distribute/thumbnails.js';
import { makeFrame, type FrameKind } from '../../src/simulator/frames.js';

const N = 512;
const OVERSCAN = N / 16;
const time = new Date(Date.UTC(2026, 10, 20, 8, 0, 0));

/** The image of a frame (one HDU, BITPIX 16, BZERO 32768) as numbers. */
function image(kind: FrameKind, seed = 7): Float64Array {
  const bytes = makeFrame({ time, frameNumber: 1, kind, axes: [N, N], seed });
  const view = new DataView(bytes.buffer, bytes.byteOffset + 2880, N * N * 2);
  const out = new Float64Array(N * N);
  for (let i = 0; i < N * N; i++) out[i] = view.getInt16(i * 2, false) + 32768;
  return out;
}
const region = (img: Float64Array, x0: number, x1: number, y0: number, y1: number) => {
  const values: number[] = [];
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) values.push(img[y * N + x]!);
  return values.sort((a, b) => a - b);
};
const median = (v: number[]) => v[Math.floor(v.length / 2)]!;
/** Robust sigma from the interquartile range. */
const sigma = (v: number[]) => (v[Math.floor(v.length * 0.75)]! - v[Math.floor(v.length * 0.25)]!) / 1.349;

describe('simulated frames', () => {
  it('a bias is the bias level with read noise, and so is every overscan strip', () => {
    const bias = image('bias');
    const all = region(bias, 0, N, 0, N);
    expect(median(all)).toBeGreaterThan(995);
    expect(median(all)).toBeLessThan(1005);
    expect(sigma(all)).toBeGreaterThan(3);
    expect(sigma(all)).toBeLessThan(6);
    for (const kind of ['object', 'flatlamp', 'arclamp', 'dark'] as const) {
      const strip = region(image(kind), N - OVERSCAN, N, 0, N);
      expect([kind, Math.abs(median(strip) - 1000) < 5, sigma(strip) < 6]).toEqual([kind, true, true]);
    }
  });

  it('an object frame has a sky background, stars with a compact PSF, and cosmic rays', () => {
    const img = image('object');
    const sky = region(img, 0, N - OVERSCAN, 0, N);
    const background = median(sky);
    expect(background).toBeGreaterThan(1150);
    expect(background).toBeLessThan(1350);
    const noise = sigma(sky);
    // Sky photon noise dominates the read noise: sqrt(300 ADU × gain 1.5) / 1.5 ≈ 14 ADU.
    expect(noise).toBeGreaterThan(9);
    // Stars: local maxima far above the sky, whose neighbours are also bright (a PSF, not a single hot pixel).
    let stars = 0;
    let singles = 0;
    for (let y = 2; y < N - 2; y++) {
      for (let x = 2; x < N - OVERSCAN - 2; x++) {
        const v = img[y * N + x]!;
        if (v < background + 30 * noise) continue;
        const around = [img[y * N + x - 1]!, img[y * N + x + 1]!, img[(y - 1) * N + x]!, img[(y + 1) * N + x]!];
        if (around.some((a) => a > v)) continue;
        const wing = Math.min(...around) - background;
        if (wing > 0.2 * (v - background)) stars++;
        else singles++;
      }
    }
    expect(stars).toBeGreaterThanOrEqual(15);
    expect(singles).toBeGreaterThanOrEqual(1); // cosmic-ray hits are sharp
  });

  it('a flat is vignetted: brighter in the centre than in the corners', () => {
    const flat = image('flatlamp');
    const centre = median(region(flat, 224, 256, 240, 272));
    const corner = median(region(flat, 0, 32, 0, 32));
    expect(centre).toBeGreaterThan(19_000);
    expect(corner).toBeLessThan(centre * 0.8);
  });

  it('is deterministic from the seed', () => {
    expect(image('object', 3)).toEqual(image('object', 3));
    expect(image('object', 3)).not.toEqual(image('object', 4));
  });

  it('writes the thumbnail of an object frame to test-artifacts/', async () => {
    const img = image('object');
    const builder = new ThumbnailBuilder(N, N, { maxSize: 256 });
    for (let y = 0; y < N; y++) builder.pushRow(img.subarray(y * N, (y + 1) * N));
    const dir = resolve('test-artifacts');
    mkdirSync(dir, { recursive: true });
    await writePng(join(dir, 'simulated-object.png'), builder.finish());
  });
});
