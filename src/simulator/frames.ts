/**
 * Realistic instrument frames for demos and tests: a primary HDU with the keywords a Keck-like instrument
 * writes (INSTRUME, CAMERA, DATE-OBS, UT, IMTYPE, PROGID, FRAMENO…), optional image extensions, and pixel data
 * with noise. Also the broken files real nights produce (truncated, empty, missing END, not FITS).
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

/** Pixels: a bias level, a gradient, and noise from a small deterministic generator. */
function pixels(axes: [number, number], kind: FrameKind, seed: number): Uint8Array {
  const [nx, ny] = axes;
  const data = new Uint8Array(nx * ny * 2);
  const view = new DataView(data.buffer);
  let state = (seed * 2654435761) >>> 0 || 1;
  const level = kind === 'bias' ? 1000 : kind === 'flatlamp' ? 20000 : kind === 'arclamp' ? 5000 : 1500;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = ((state >>> 0) % 64) - 32;
      const value = level + ((x + y) % 200) + noise;
      view.setInt16((y * nx + x) * 2, Math.max(-32768, Math.min(32767, value - 32768)), false);
    }
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
