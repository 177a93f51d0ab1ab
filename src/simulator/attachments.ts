/**
 * Realistic attachments of a simulated night — the weather station's table, the night's observing log and the
 * observer's notes — as plain files and as FITS FOREIGN wrappers ready to ingest (instrument ATTACHMENT).
 *
 * @module
 */
import { writeFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { attachmentDateObs, wrapForeign, type AttachmentKind } from '../core/fits/foreign-attachment.js';

/** One simulated attachment. */
export interface SimulatedAttachment {
  kind: AttachmentKind;
  /** Name of the original file, e.g. `weather_20261120.csv`. */
  fileName: string;
  /** Name of its FITS wrapper (`<fileName>.fits`). */
  fitsName: string;
  /** The original bytes. */
  content: Uint8Array;
  /** The wrapped FITS file. */
  fits: Uint8Array;
  /** DATE-OBS written in the wrapper (the end of the night). */
  dateObs: string;
  program?: string;
}

/** Options of {@link makeNightAttachments}. */
export interface NightAttachmentOptions {
  /** UT of the start of the night. @default 2026-11-20T05:00:00Z */
  start?: Date;
  /** Length of the night in hours. @default 10 */
  hours?: number;
  /** Program of the observer's notes (the weather table and log belong to the whole night). @default 'K123' */
  program?: string;
  /** Lines of the observing log (one per frame). @default 20 */
  frames?: number;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const hhmm = (t: Date): string => `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;

/** A deterministic wobble in [-1, 1]. */
const wobble = (i: number, period: number): number => Math.sin((i / period) * 2 * Math.PI) * 0.7 + Math.sin(i * 1.7) * 0.3;

/** The weather station's table: one line every 10 minutes. */
export function weatherTable(start: Date, hours: number): string {
  const lines = ['UT,temp_C,humidity_pct,wind_ms,wind_dir_deg,pressure_hPa,dimm_seeing_arcsec'];
  for (let i = 0; i <= hours * 6; i++) {
    const t = new Date(start.getTime() + i * 600_000);
    const temp = (2.5 - i * 0.02 + wobble(i, 30) * 0.6).toFixed(1);
    const humidity = Math.round(12 + i * 0.15 + wobble(i, 20) * 4);
    const wind = (4 + wobble(i, 15) * 2.5).toFixed(1);
    const seeing = (0.65 + wobble(i, 12) * 0.15).toFixed(2);
    lines.push(`${t.toISOString().slice(0, 16)},${temp},${humidity},${wind},${Math.round(60 + wobble(i, 40) * 30)},${(615 + wobble(i, 50)).toFixed(1)},${seeing}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The observing log: one line per frame, as the night assistant writes it. */
export function observingLog(start: Date, hours: number, frames: number): string {
  const kinds = ['bias', 'bias', 'flat', 'arc', 'NGC 5128', 'NGC 5128', 'HD 12345 (std)', 'M 31'];
  const step = (hours * 3_600_000) / Math.max(frames, 1);
  const lines = [`# Observing log ${start.toISOString().slice(0, 10)} (UT)`, '# frame  UT     object            exptime  comment'];
  for (let f = 1; f <= frames; f++) {
    const t = new Date(start.getTime() + (f - 1) * step);
    const object = kinds[Math.min(f - 1, 3)] ?? kinds[4 + (f % 4)]!;
    const exptime = object === 'bias' ? 0 : object.startsWith('NGC') || object.startsWith('M ') ? 300 : 10;
    lines.push(`${pad(f, 5)}  ${hhmm(t)}  ${object.padEnd(16)}  ${String(exptime).padStart(7)}  ${f % 7 === 0 ? 'thin cirrus' : 'ok'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The observer's end-of-night notes. */
export function observerNotes(start: Date, hours: number, program: string): string {
  const end = new Date(start.getTime() + hours * 3_600_000);
  return [
    `Program ${program}, night of ${start.toISOString().slice(0, 10)} UT`,
    '',
    `Opened at ${hhmm(start)} UT. Seeing 0.6-0.8" most of the night, thin cirrus around ${hhmm(new Date(start.getTime() + 4 * 3_600_000))}.`,
    'Calibrations taken at the start: 3 bias, 2 flats, 2 arcs. Standard star HD 12345 at airmass 1.2.',
    `Closed at ${hhmm(end)} UT for humidity. No instrument faults.`,
    '',
  ].join('\n');
}

/** A night's weather table, observing log (both for the whole night) and observer notes (for `program`), wrapped. */
export function makeNightAttachments(options: NightAttachmentOptions = {}): SimulatedAttachment[] {
  const start = options.start ?? new Date(Date.UTC(2026, 10, 20, 5, 0, 0));
  const hours = options.hours ?? 10;
  const program = options.program ?? 'K123';
  const end = start.getTime() + hours * 3_600_000;
  const day = start.toISOString().slice(0, 10).replaceAll('-', '');
  const dateObs = attachmentDateObs(end);
  const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
  const items: { kind: AttachmentKind; fileName: string; content: Uint8Array; program?: string }[] = [
    { kind: 'weather', fileName: `weather_${day}.csv`, content: encode(weatherTable(start, hours)) },
    { kind: 'log', fileName: `obslog_${day}.txt`, content: encode(observingLog(start, hours, options.frames ?? 20)) },
    { kind: 'notes', fileName: `notes_${program}_${day}.txt`, content: encode(observerNotes(start, hours, program)), program },
  ];
  return items.map((item) => {
    const attachment = { kind: item.kind, dateObs, ...(item.program ? { program: item.program } : {}) };
    const fits = wrapForeign(item.content, { name: item.fileName, mode: 0o644, mtimeMs: end, type: 'text' }, attachment, end);
    return { ...item, fitsName: `${item.fileName}.fits`, fits, dateObs };
  });
}

/** Writes the wrapped attachments into `dir` (each written whole, then renamed, as instruments do); returns paths. */
export async function writeNightAttachments(dir: string, attachments: readonly SimulatedAttachment[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const a of attachments) {
    const path = join(dir, a.fitsName);
    await writeFile(join(dir, `.${a.fitsName}.writing`), a.fits);
    await rename(join(dir, `.${a.fitsName}.writing`), path);
    paths.push(path);
  }
  return paths;
}
