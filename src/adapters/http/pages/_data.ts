/**
 * What the operator monitor and the observer portal show, read from the catalog and the archive and filtered by
 * {@link mayRead}: the monitor's snapshot (counts, latest files with latency, stuck files, failures by code,
 * throughput and latency over the night, disk space), a night's files for the portal, a file's header and
 * history, thumbnails, and the night's weather table from its weather attachment.
 * Internal to src/adapters/http.
 *
 * @module
 */
import { mkdtemp, readFile, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileRecord } from '../../../core/lifecycle/record.js';
import { STATES, type StateName } from '../../../core/lifecycle/states.js';
import type { ArchivedFile, Catalog } from '../../../core/ports/catalog.js';
import { pngBytes, planeOf, thumbnailOf } from '../../../distribute/thumbnails.js';
import { stuckRecords } from '../../../core/lifecycle/stuck.js';
import { localCopy } from '../../../io/archived-copy.js';
import { parseWeather } from '../../../core/distribute/weather.js';

export { stuckRecords };
export { reingestSource } from '../../../io/archived-copy.js';
import { walkFile } from '../../../io/fits-file.js';
import { fileCursor, SCRUB_CURSOR_FILE, type ScrubCursor } from '../../../scrub/index.js';
import { unwrapForeignFile } from '../../../io/foreign-file.js';
import { isReleased, mayRead, mayUse, type Principal } from '../_auth.js';
import { readableOf, releaseDateOf, utDate } from '../_embargo.js';

/** A file in a page's list. */
export interface FileRow {
  recordId: string;
  archiveId: string | null;
  instrument: string | null;
  state: StateName;
  originalName: string;
  night: string | null;
  program: string | null;
  level: number;
  imageType: string | null;
  object: string | null;
  size: number | null;
  /** When the record last changed (epoch ms). */
  at: number;
  /** Detected → archived, for archived files. */
  latencyMs: number | null;
  releaseDate: string | null;
  released: boolean;
  code: string | null;
}

/** The row of a record (and its archived file, when archived). */
export function fileRow(record: FileRecord, file: ArchivedFile | undefined, now: number): FileRow {
  const releaseDate = releaseDateOf(record, file) ?? null;
  const object = file?.header.find((c) => c.keyword === 'OBJECT')?.value;
  return {
    recordId: record.id,
    archiveId: record.archiveId ?? null,
    instrument: record.instrument ?? null,
    state: record.state,
    originalName: record.originalName,
    night: record.night ?? null,
    program: file?.program ?? null,
    level: record.level,
    imageType: file?.imageType ?? null,
    object: typeof object === 'string' ? object : null,
    size: file?.size ?? record.stagedSize ?? record.size ?? null,
    at: file?.archivedAt ?? record.updatedAt,
    latencyMs: file ? file.archivedAt - record.createdAt : null,
    releaseDate,
    released: isReleased(releaseDate, now),
    code: record.error?.code ?? null,
  };
}

async function archivedOf(catalog: Catalog, record: FileRecord): Promise<ArchivedFile | undefined> {
  if (record.state !== 'ARCHIVED' || !record.archiveId) return undefined;
  const file = await catalog.getArchived(record.archiveId);
  return file?.recordId === record.id ? file : undefined;
}

/** The night a page shows by default: the newest record's, else today's (UT). */
export async function currentNight(catalog: Catalog, now: number): Promise<string> {
  const [newest] = await catalog.findRecords({ newestFirst: true, limit: 20 });
  return newest?.night ?? utDate(now);
}

/** The operator monitor's snapshot. */
export interface MonitorSnapshot {
  now: number;
  night: string;
  counts: Record<StateName, number>;
  latest: FileRow[];
  stuck: FileRow[];
  failures: { code: string; count: number; latestAt: number; latest: string }[];
  /** Per 5-minute bin of the night: start (epoch s), files archived, median and max latency (ms). */
  series: { t: number[]; archived: number[]; latencyMedianMs: (number | null)[]; latencyMaxMs: (number | null)[] };
  disk: { path: string; freeBytes: number; totalBytes: number } | null;
  /** The background scrub's progress (`--scrub-rate`: its cursor in the archive root), when there is one. */
  scrub?: ScrubCursor | null;
  stuckAfterMs: number;
}

const BIN_S = 300;

/** Everything the monitor shows, for a token of every program (instrument limits applied). */
export async function monitorSnapshot(catalog: Catalog, principal: Principal, now: number, options: { night?: string; archiveRoot?: string; stuckAfterMs: number }): Promise<MonitorSnapshot> {
  const night = options.night ?? (await currentNight(catalog, now));
  const visible = (r: FileRecord) => mayUse(principal, r.instrument ?? null);
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<StateName, number>;
  if (principal.instruments === '*') Object.assign(counts, await catalog.counts());
  else for (const r of await catalog.findRecords({ limit: 1_000_000 })) if (visible(r)) counts[r.state]++;

  const latest: FileRow[] = [];
  for (const record of await catalog.findRecords({ newestFirst: true, limit: 200 })) {
    if (!visible(record)) continue;
    latest.push(fileRow(record, await archivedOf(catalog, record), now));
    if (latest.length === 30) break;
  }
  const stuck = (await stuckRecords(catalog, now, options.stuckAfterMs)).filter(visible).slice(0, 100).map((r) => fileRow(r, undefined, now));

  const failures = new Map<string, { code: string; count: number; latestAt: number; latest: string }>();
  for (const r of await catalog.findRecords({ states: ['INVALID', 'ABANDONED', 'FAILED'], updatedBefore: now + 1, newestFirst: true, limit: 2000 })) {
    if (!visible(r) || r.updatedAt < now - 86_400_000) continue;
    const code = r.error?.code ?? 'UNKNOWN';
    const entry = failures.get(code) ?? { code, count: 0, latestAt: r.updatedAt, latest: r.originalName };
    entry.count++;
    failures.set(code, entry);
  }

  const files = (await catalog.findArchived({ nightFrom: night, nightTo: night, limit: 100_000 })).filter((f) => mayUse(principal, f.instrument));
  const bins = new Map<number, number[]>();
  for (const file of files) {
    const record = await catalog.getRecord(file.recordId);
    const bin = Math.floor(file.archivedAt / 1000 / BIN_S) * BIN_S;
    const list = bins.get(bin) ?? [];
    list.push(record ? Math.max(0, file.archivedAt - record.createdAt) : 0);
    bins.set(bin, list);
  }
  const series: MonitorSnapshot['series'] = { t: [], archived: [], latencyMedianMs: [], latencyMaxMs: [] };
  const keys = [...bins.keys()].sort((a, b) => a - b);
  for (let t = keys[0] ?? 0; keys.length > 0 && t <= keys.at(-1)!; t += BIN_S) {
    const list = (bins.get(t) ?? []).sort((a, b) => a - b);
    series.t.push(t);
    series.archived.push(list.length);
    series.latencyMedianMs.push(list.length ? list[Math.floor(list.length / 2)]! : null);
    series.latencyMaxMs.push(list.length ? list.at(-1)! : null);
  }

  let disk: MonitorSnapshot['disk'] = null;
  if (options.archiveRoot) {
    const fs = await statfs(options.archiveRoot).catch(() => undefined);
    if (fs) disk = { path: options.archiveRoot, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  }
  const scrub = options.archiveRoot ? ((await fileCursor(join(options.archiveRoot, SCRUB_CURSOR_FILE)).load().catch(() => undefined)) ?? null) : null;
  return { now, night, counts, latest, stuck, failures: [...failures.values()].sort((a, b) => b.count - a.count), series, disk, scrub, stuckAfterMs: options.stuckAfterMs };
}

/** The archived files of a night that `principal` may read, newest first. */
export async function nightFiles(catalog: Catalog, principal: Principal, now: number, night: string): Promise<FileRow[]> {
  const rows: FileRow[] = [];
  for (const file of await catalog.findArchived({ nightFrom: night, nightTo: night, limit: 100_000 })) {
    const record = await catalog.getRecord(file.recordId);
    if (!record || record.state !== 'ARCHIVED') continue;
    if (!mayRead(principal, await readableOf(catalog, record, file), now)) continue;
    rows.push(fileRow(record, file, now));
  }
  return rows.sort((a, b) => b.at - a.at);
}

const thumbnails = new Map<string, Buffer | null>();

/** A PNG of the first image HDU of an archived file (cached by digest), or null when it has no image. */
export async function thumbnailPng(file: ArchivedFile, maxSize = 192): Promise<Buffer | null> {
  const key = `${file.sha256}:${maxSize}`;
  if (thumbnails.has(key)) return thumbnails.get(key)!;
  const path = await localCopy(file);
  if (!path) return null;
  let png: Buffer | null = null;
  for (const hdu of (await walkFile(path)).hdus) {
    const plane = planeOf(hdu);
    if ('none' in plane) continue;
    png = pngBytes(await thumbnailOf(path, hdu, plane, maxSize));
    break;
  }
  if (thumbnails.size >= 500) thumbnails.delete(thumbnails.keys().next().value!);
  thumbnails.set(key, png);
  return png;
}

/** The night's weather table (from its weather attachment), as columns of numbers; null when there is none. */
export async function nightWeather(catalog: Catalog, principal: Principal, now: number, night: string): Promise<{ archiveId: string; columns: string[]; t: number[]; values: (number | null)[][] } | null> {
  const files = await catalog.findArchived({ instrument: 'ATTACHMENT', nightFrom: night, nightTo: night, limit: 100 });
  for (const file of files) {
    if (file.imageType !== 'weather') continue;
    const record = await catalog.getRecord(file.recordId);
    if (!record || !mayRead(principal, await readableOf(catalog, record, file), now)) continue;
    const path = await localCopy(file);
    if (!path) continue;
    const dir = await mkdtemp(join(tmpdir(), 'fits-weather-'));
    try {
      const { path: table } = await unwrapForeignFile(path, join(dir, 'weather.csv'));
      return { archiveId: file.archiveId, ...parseWeather(await readFile(table, 'utf8'), file.night) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return null;
}

export { parseWeather };
