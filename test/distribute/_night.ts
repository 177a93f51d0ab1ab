/**
 * A small archive for the distribution tests: one KCWI night ingested through the real pipeline (SQLite
 * catalog, filesystem transport) with program K123's science frames, calibrations taken under program CAL,
 * frames that must stay out (another program, another binning, another week), night attachments wrapped as
 * FOREIGN files, and one processed product.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestorFromOptions } from '../../src/cli/_run-ingestor.js';
import type { FileRecord } from '../../src/core/lifecycle/record.js';
import { wrapForeignFile } from '../../src/io/foreign-file.js';
import { frameName, makeFrame, type FrameOptions } from '../../src/simulator/frames.js';
import { weatherTable } from '../../src/simulator/attachments.js';

export interface TestNight {
  dir: string;
  archive: string;
  catalog: string;
  /** Archive id by label. */
  ids: Record<string, string>;
}

const T = Date.UTC(2026, 10, 20, 6, 0, 0);
const AXES: [number, number] = [96, 80];

type Spec = [label: string, minutes: number, options: Partial<FrameOptions>];

/** The frames: label, minutes after 06:00 UT on 2026-11-20, frame options. */
const FRAMES: Spec[] = [
  ['bias1', 0, { kind: 'bias', program: 'CAL' }],
  ['bias2', 2, { kind: 'bias', program: 'CAL' }],
  ['biasBinned', 4, { kind: 'bias', program: 'CAL', cards: [['BINNING', '1,1']] }],
  ['flat', 6, { kind: 'flatlamp', program: 'CAL' }],
  ['arc', 8, { kind: 'arclamp', program: 'CAL' }],
  ['redBias', 9, { kind: 'bias', program: 'CAL', camera: 'RED' }],
  ['sci1', 30, { kind: 'object', program: 'K123', object: 'NGC 5128' }],
  ['sciMef', 40, { kind: 'object', program: 'K123', object: 'NGC 5128', extensions: 2 }],
  ['sciRed', 50, { kind: 'object', program: 'K123', camera: 'RED', object: 'M 87' }],
  ['other', 60, { kind: 'object', program: 'K999', object: 'Vega' }],
  ['nextWeekBias', 7 * 24 * 60, { kind: 'bias', program: 'CAL' }],
];

/** The night's weather table, as the station writes it (one line every 10 minutes, 10 hours). */
export const WEATHER_CSV = weatherTable(new Date('2026-11-21T05:00:00Z'), 10);

export async function buildNight(prefix: string): Promise<TestNight> {
  const dir = mkdtempSync(join(tmpdir(), `fits-distribute-${prefix}-`));
  const incoming = join(dir, 'incoming');
  const notes = join(dir, 'notes');
  mkdirSync(incoming);
  mkdirSync(notes);
  const byPath = new Map<string, string>();
  FRAMES.forEach(([label, minutes, options], i) => {
    const state: [string, string] = ['STATEID', options.camera === 'RED' ? 'R1' : 'B1'];
    const frame: FrameOptions = { time: new Date(T + minutes * 60_000 + i * 10), frameNumber: i + 1, axes: AXES, ...options, cards: [state, ...(options.cards ?? [])] };
    const path = join(incoming, frameName(frame));
    writeFileSync(path, makeFrame(frame));
    byPath.set(path, label);
  });
  const attach = async (label: string, name: string, text: string, options: Parameters<typeof wrapForeignFile>[2]) => {
    writeFileSync(join(notes, name), text);
    const wrapped = await wrapForeignFile(join(notes, name), join(incoming, `${label}.fits`), options);
    byPath.set(wrapped.path, label);
  };
  await attach('weather', 'weather-20261120.csv', WEATHER_CSV, { kind: 'weather', night: '2026-11-20' });
  await attach('notesK123', 'observer-notes.txt', 'K123: clouds at 07:10 UT\n', { kind: 'notes', night: '2026-11-20', program: 'K123' });
  await attach('notesK999', 'k999-notes.txt', 'K999 only\n', { kind: 'notes', night: '2026-11-20', program: 'K999' });
  await attach('weatherLater', 'weather-20261127.csv', 'time,temp\n', { kind: 'weather', night: '2026-11-27' });

  const archive = join(dir, 'archive');
  const catalog = `sqlite:${join(archive, 'catalog.sqlite')}`;
  const ids: Record<string, string> = {};
  const { ingestor } = await ingestorFromOptions({ archive }, { stability: { quietMs: 0, settleMs: 0 } });
  try {
    await ingestor.start();
    const submit = async (path: string, extra: { level?: 1; parents?: string[] } = {}) =>
      (await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true, ...extra })).record.id;
    const records: FileRecord[] = await ingestor.settled(await Promise.all([...byPath.keys()].map((p) => submit(p))));
    for (const r of records) {
      if (r.state !== 'ARCHIVED') throw new Error(`${r.source}: ${r.state} ${r.error?.message ?? ''}`);
      ids[byPath.get(r.source)!] = r.archiveId!;
    }
    // A reduced product of sci1 (level 1), as a pipeline would submit it.
    const product = join(dir, 'sci1_cube.fits');
    writeFileSync(product, makeFrame({ time: new Date(T + 31 * 60_000), frameNumber: 901, axes: [40, 40], program: 'K123', object: 'NGC 5128 cube' }));
    const [done] = await ingestor.settled([await submit(product, { level: 1, parents: [ids['sci1']!] })]);
    if (done?.state !== 'ARCHIVED') throw new Error(`product: ${done?.state} ${done?.error?.message ?? ''}`);
    ids['product'] = done.archiveId!;
  } finally {
    await ingestor.stop();
    await ingestor.catalog.close();
  }
  return { dir, archive, catalog, ids };
}
