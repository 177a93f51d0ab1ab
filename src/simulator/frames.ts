/**
 * Realistic instrument frames for demos and tests: a primary HDU with the keywords a Keck-like instrument
 * writes (INSTRUME, CAMERA, DATE-OBS, UT, IMTYPE, PROGID, FRAMENO…), optional image extensions, and pixel data
 * that looks like the sky (bias and overscan, read and photon noise, stars, sky, cosmic rays, vignetted flats). Also the broken files real nights produce (truncated, empty, missing END, not FITS).
 *
 * @module
 */
import { concatBytes, createHeader, encodeHdu } from '../core/fits/build.js';
import type { FitsValue } from '../core/fits/header-card.js';
import type { Header } from '../core/fits/header.js';

/** Image types the simulator writes, with the header values that announce them. */
export type FrameKind = 'object' | 'bias' | 'dark' | 'flatlamp' | 'arclamp';

/** What a simulated frame looks like. */
export interface FrameOptions {
  /** @default 'KCWI' */
  instrument?: string;
  /** KCWI camera (selects the archive-id prefix). @default 'BLUE' */
  camera?: string;
  kind?: FrameKind;
  /** Observation start (UT). */
  time: Date;
  frameNumber: number;
  /** Image size (NAXIS1 × NAXIS2, 16-bit): 512 × 512 is 0.5 MB. @default [512, 512] */
  axes?: [number, number];
  /** Image extensions after the primary (multi-amplifier readout). @default 0 */
  extensions?: number;
  program?: string;
  pi?: string;
  object?: string;
  /** Deterministic pixel noise seed. @default frameNumber */
  seed?: number;
  /** Extra header cards. */
  cards?: ReadonlyArray<readonly [string, FitsValue, string?]>;
}

const IMTYPE: Record<FrameKind, string> = { object: 'OBJECT', bias: 'BIAS', dark: 'DARK', flatlamp: 'FLATLAMP', arclamp: 'ARCLAMP' };

/** A small deterministic generator: uniform in [0, 1) and standard normal deviates (xorshift32, Box–Muller). */
function generator(seed: number): { uniform: () => number; normal: () => number } {
  let state = (seed * 2654435761) >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** The detector's fixed properties (the same for every frame): bias level, read noise, gain, overscan width. */
const DETECTOR = { bias: 1000, readNoise: 4, gain: 1.5, darkPerSecond: 0.02 };

/**
 * Pixels that look like the sky, deterministic from `seed`: every frame has a bias level with a faint column
 * pattern and read noise, and an overscan strip (the last 1/16 of the columns, at least 4) with bias only; darks
 * add dark current and hot pixels; flats a lamp level with vignetting and pixel-to-pixel response; arcs emission
 * lines; objects a sky background, stars with a Moffat PSF (β = 3, FWHM ≈ 3 px) and cosmic-ray hits. Photon noise
 * is Gaussian with the Poisson variance (in electrons, through the gain).
 */
function pixels(axes: [number, number], kind: FrameKind, seed: number): Uint8Array {
  const [nx, ny] = axes;
  const rng = generator(seed);
  const overscan = Math.max(4, Math.floor(nx / 16));
  const active = Math.max(1, nx - overscan);
  const signal = new Float64Array(nx * ny);
  const exptime = kind === 'bias' ? 0 : kind === 'object' ? 300 : kind === 'dark' ? 600 : 10;
  const cx = active / 2;
  const cy = ny / 2;
  const r2max = cx * cx + cy * cy;

  if (kind === 'flatlamp' || kind === 'object') {
    const level = kind === 'flatlamp' ? 20_000 : 300; // lamp, or sky background (ADU)
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < active; x++) {
        const r2 = ((x - cx) ** 2 + (y - cy) ** 2) / r2max;
        signal[y * nx + x] = level * (1 - 0.35 * r2) * (kind === 'flatlamp' ? 1 + 0.01 * rng.normal() : 1);
      }
    }
  }
  if (kind === 'arclamp') {
    const lines = 8 + Math.floor(rng.uniform() * 8);
    for (let l = 0; l < lines; l++) {
      const x0 = rng.uniform() * active;
      const peak = 2000 + rng.uniform() * 25_000;
      for (let x = Math.max(0, Math.floor(x0 - 6)); x < Math.min(active, Math.ceil(x0 + 6)); x++) {
        const v = peak * Math.exp(-((x - x0) ** 2) / (2 * 1.2 ** 2));
        for (let y = 0; y < ny; y++) signal[y * nx + x]! += v;
      }
    }
  }
  if (kind === 'object') {
    // Stars: about 40 per 512 × 512, fluxes from a power law, Moffat profile.
    const stars = Math.max(3, Math.round((40 * active * ny) / (512 * 512)));
    const fwhm = 2.6 + rng.uniform() * 1.2;
    const beta = 3;
    const alpha = fwhm / (2 * Math.sqrt(2 ** (1 / beta) - 1));
    const norm = (beta - 1) / (Math.PI * alpha * alpha);
    for (let i = 0; i < stars; i++) {
      const sx = rng.uniform() * active;
      const sy = rng.uniform() * ny;
      const flux = 2e4 * Math.pow(1 - rng.uniform() * 0.999, -1.3); // total ADU
      // Out to where the profile falls below 0.5 ADU (at most 64 px), over a disc: a bright star cut off at a fixed
      // box would show the box as a square.
      const reach = Math.min(64, alpha * Math.sqrt(Math.max(0, Math.pow((flux * norm) / 0.5, 1 / beta) - 1)));
      const reach2 = (reach * reach) / (alpha * alpha);
      for (let y = Math.max(0, Math.floor(sy - reach)); y < Math.min(ny, Math.ceil(sy + reach)); y++) {
        for (let x = Math.max(0, Math.floor(sx - reach)); x < Math.min(active, Math.ceil(sx + reach)); x++) {
          const r2 = ((x + 0.5 - sx) ** 2 + (y + 0.5 - sy) ** 2) / (alpha * alpha);
          if (r2 > reach2) continue;
          signal[y * nx + x]! += flux * norm * Math.pow(1 + r2, -beta);
        }
      }
    }
  }
  if (kind === 'dark') {
    for (let i = 0; i < active * ny * 0.0005; i++) {
      const x = Math.floor(rng.uniform() * active);
      const y = Math.floor(rng.uniform() * ny);
      signal[y * nx + x]! += 500 + rng.uniform() * 8000; // hot pixels
    }
  }

  const data = new Uint8Array(nx * ny * 2);
  const view = new DataView(data.buffer);
  const dark = kind === 'bias' ? 0 : DETECTOR.darkPerSecond * exptime;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const i = y * nx + x;
      let value = DETECTOR.bias + 3 * Math.sin(x / 7) + DETECTOR.readNoise * rng.normal();
      if (x < active) {
        const electrons = (signal[i]! + dark) * DETECTOR.gain;
        value += (electrons + Math.sqrt(Math.max(electrons, 0)) * rng.normal()) / DETECTOR.gain;
      }
      signal[i] = value;
    }
  }
  if (kind !== 'bias' && exptime > 0) {
    // Cosmic rays: about 2 per 512 × 512 per 10 s of exposure, each a short track of a few bright pixels.
    const hits = Math.round((active * ny * exptime) / (512 * 512 * 5) * (0.5 + rng.uniform()));
    for (let h = 0; h < hits; h++) {
      let x = rng.uniform() * active;
      let y = rng.uniform() * ny;
      const angle = rng.uniform() * 2 * Math.PI;
      const length = 1 + Math.floor(rng.uniform() * 4);
      const energy = 1500 + rng.uniform() * 20_000;
      for (let step = 0; step < length; step++) {
        const px = Math.floor(x);
        const py = Math.floor(y);
        if (px >= 0 && px < active && py >= 0 && py < ny) signal[py * nx + px]! += energy / length;
        x += Math.cos(angle);
        y += Math.sin(angle);
      }
    }
  }
  for (let i = 0; i < nx * ny; i++) {
    const adu = Math.max(0, Math.min(65535, Math.round(signal[i]!)));
    view.setInt16(i * 2, adu - 32768, false);
  }
  return data;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** The primary header of a frame (declaring `axes`, or no data when the frame has extensions). */
export function frameHeader(options: FrameOptions): Header {
  const kind = options.kind ?? 'object';
  const axes = options.axes ?? [512, 512];
  const t = options.time;
  const date = `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}`;
  const ms = t.getUTCMilliseconds();
  const ut = `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${String(Math.floor(ms / 10)).padStart(2, '0')}`;
  const exptime = kind === 'bias' ? 0 : kind === 'object' ? 300 : 10;
  const extensions = options.extensions ?? 0;
  return createHeader({
    primary: true,
    bitpix: 16,
    axes: extensions > 0 ? [] : axes,
    cards: [
      ...(extensions > 0 ? ([['EXTEND', true, 'extensions follow']] as const) : []),
      ['BZERO', 32768, 'unsigned 16-bit data'],
      ['BSCALE', 1],
      ['TELESCOP', 'Keck II', 'telescope'],
      ['INSTRUME', options.instrument ?? 'KCWI', 'instrument'],
      ['CAMERA', options.camera ?? 'BLUE', 'camera'],
      ['DATE-OBS', date, 'UT date of observation'],
      ['UT', ut, 'UT time of observation start'],
      ['IMTYPE', IMTYPE[kind], 'image type'],
      ['XPOSURE', exptime, 'exposure time (s)'],
      ['FRAMENO', options.frameNumber, 'frame number'],
      ['OBJECT', options.object ?? (kind === 'object' ? 'NGC 5128' : kind), 'target'],
      ['PROGID', options.program ?? 'K123', 'program id'],
      ['PROGPI', options.pi ?? 'Ana Astronomer', 'principal investigator'],
      ['OFNAME', frameName(options), 'file name written by the instrument'],
      ['CCDMODE', 0, 'CCD speed mode'],
      ['BINNING', '2,2', 'binning'],
      ...(options.cards ?? []),
    ],
  });
}

/** The bytes of one frame (a FITS file). */
export function makeFrame(options: FrameOptions): Uint8Array {
  const kind = options.kind ?? 'object';
  const axes = options.axes ?? [512, 512];
  const extensions = options.extensions ?? 0;
  const header = frameHeader(options);
  const seed = options.seed ?? options.frameNumber;
  if (extensions === 0) return concatBytes(encodeHdu(header, pixels(axes, kind, seed)));
  const parts = encodeHdu(header);
  for (let e = 1; e <= extensions; e++) {
    const ext = createHeader({
      xtension: 'IMAGE',
      bitpix: 16,
      axes,
      cards: [
        ['BZERO', 32768],
        ['EXTNAME', `AMP${e}`, 'amplifier'],
      ],
    });
    parts.push(...encodeHdu(ext, pixels(axes, kind, seed * 31 + e)));
  }
  return concatBytes(parts);
}

/** The file name an instrument would give the frame, e.g. `kb261120_00042.fits`. */
export function frameName(options: Pick<FrameOptions, 'time' | 'frameNumber' | 'camera'>): string {
  const t = options.time;
  const prefix = (options.camera ?? 'BLUE').startsWith('R') ? 'kr' : 'kb';
  return `${prefix}${String(t.getUTCFullYear()).slice(2)}${two(t.getUTCMonth() + 1)}${two(t.getUTCDate())}_${String(options.frameNumber).padStart(5, '0')}.fits`;
}

/** Ways a file can be broken, as real nights produce them. */
export type Breakage = 'truncated' | 'empty' | 'missing-end' | 'not-fits' | 'garbage-header';

/** A broken file. */
export function makeBrokenFile(breakage: Breakage, base: Uint8Array): Uint8Array {
  switch (breakage) {
    case 'truncated':
      return base.subarray(0, Math.floor(base.length * 0.6));
    case 'empty':
      return new Uint8Array(0);
    case 'missing-end': {
      const copy = base.slice();
      const text = new TextDecoder('latin1').decode(copy.subarray(0, 2880 * 4));
      const at = text.search(/END {77}/);
      if (at >= 0) copy.set(new TextEncoder().encode('XND'), at);
      return copy;
    }
    case 'not-fits':
      return new TextEncoder().encode('This is a log file, not a FITS file.\n'.repeat(200));
    case 'garbage-header': {
      const copy = base.slice();
      for (let i = 240; i < 480; i++) copy[i] = (i * 7) & 0xff;
      return copy;
    }
  }
}
