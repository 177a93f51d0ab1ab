/**
 * `writeVolumes`: writes any files (archived FITS files, distribution packages…) to numbered tar volumes under a
 * maximum size, in N identical copies, giving every file the next serial number of one unbroken sequence that
 * continues from the volumes already in the output directories. Each source is read once: its SHA-256 is
 * computed on the way and compared with the expected one; a file that does not match is cut off the volume and
 * reported, and the run carries on. With a catalog, every copy's location is recorded once its volume is
 * complete (flushed and renamed from `.tar.partial` to `.tar`).
 *
 * @module
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { IngestError, isIngestError, toIngestError } from '../../../core/errors.js';
import type { Catalog, MediumPlacement } from '../../../core/ports/catalog.js';
import type { HduSums } from '../../../core/ports/transport.js';
import { parseOptions } from '../../_shared/options.js';
import { continueSequence, volumeLabel } from './_sequence.js';
import { TAR_EOF, memberHeader } from './_tar.js';
import { MAX_COPIES, MEDIA_FORMAT, entryText, indexMemberName, labelMemberName, type IndexEntry, type VolumeLabel } from './_volume-index.js';
import { VolumeSet, indexSpan } from './_volume-set.js';
import { addLocationTo } from '../../../core/ports/catalog-fallbacks.js';

/** The transport name recorded in catalog locations of media copies. */
export const MEDIA_TRANSPORT_NAME = 'media';

/** One file to write to a volume. */
export interface MediaItem {
  /** Member name in the tar: a relative path with `/` separators, no `..`, e.g. `2024-01-01/KB.20240101.00001.00.fits`. */
  member: string;
  /** The file to read. */
  path: string;
  /** Expected size; a different size on disk fails the item. */
  size?: number;
  /** Expected SHA-256 (hex); bytes that hash otherwise are cut off the volume and the item fails. */
  sha256?: string;
  /** Archive id: recorded in the index, and the catalog location is added to this archived file. */
  archiveId?: string;
  /** HDU sums, recorded in the index (media verify checks them). */
  hdus?: HduSums[];
  /** Whatever else the index should keep for this file (JSON): `media index` rebuilds catalog entries from it. */
  file?: Record<string, unknown>;
}

/** Progress after each chunk or item. */
export interface WriteProgress {
  /** Data bytes written so far (per copy). */
  bytes: number;
  /** Items written so far. */
  items: number;
  /** Label of the volume being written. */
  volume: string;
  /** The item being written. */
  member: string;
}

const sizeSchema = z.union([z.int().positive(), z.string().regex(/^\d+(\.\d+)?\s*[KMGT]?i?B?$/i, 'a size like 4G, 700M or 65536')]);

const writeVolumesOptionsSchema = z.strictObject({
  /** Output directory (all copies there), or one directory per copy (e.g. two mounted disks). Must exist. */
  out: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Maximum size of a volume file in bytes (headers, padding and end-of-archive blocks included), or `4G`, `700M`. */
  volumeSize: sizeSchema,
  /** Number of identical copies of each volume. @default 1 */
  copies: z.int().min(1).max(MAX_COPIES).default(1),
  /** Volume labels are the prefix and six digits. Letters, digits, `_` and `-`. @default 'FI' */
  labelPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/).default('FI'),
  /** Catalog whose archived files get a location per copy (items with an `archiveId`). @default undefined */
  catalog: z.custom<Catalog>((c) => typeof c === 'object' && c !== null && 'addLocation' in c).optional(),
  /** Called after each chunk and item. @default undefined */
  onProgress: z.custom<(progress: WriteProgress) => void>((f) => typeof f === 'function').optional(),
  /** Cancels the run: the volume being written stays `.partial` and the next run re-writes it. @default undefined */
  signal: z.custom<AbortSignal>((s) => s instanceof AbortSignal).optional(),
  /** The clock (epoch ms) for labels and catalog times. @default Date.now */
  now: z.custom<() => number>((f) => typeof f === 'function').optional(),
});

/** Options of {@link writeVolumes}. */
export type WriteVolumesOptions = z.input<typeof writeVolumesOptionsSchema>;

/** Where an item was written: one entry per copy. */
export interface ItemPlacement extends MediumPlacement {
  /** The volume file of this copy. */
  path: string;
}

/** An item written to a volume. */
export interface WrittenItem {
  member: string;
  path: string;
  archiveId?: string;
  size: number;
  sha256: string;
  serial: number;
  placements: ItemPlacement[];
}

/** An item that was not written, and why. The run carried on. */
export interface FailedItem {
  member: string;
  path: string;
  archiveId?: string;
  error: IngestError;
}

/** A volume completed by the run. */
export interface WrittenVolume {
  label: string;
  volume: number;
  /** The copies' files. */
  paths: string[];
  /** Size of each copy's file. */
  size: number;
  firstSerial: number;
  lastSerial: number;
  members: number;
}

/** What {@link writeVolumes} did. */
export interface WriteVolumesReport {
  volumes: WrittenVolume[];
  items: WrittenItem[];
  failed: FailedItem[];
  /** Catalog locations that could not be recorded (e.g. an archive id the catalog does not hold). */
  catalogErrors: { archiveId: string; error: IngestError }[];
  /** Partial volumes of an interrupted run that this run replaced. */
  discarded: string[];
  /** Serial the next run starts from. */
  nextSerial: number;
  /** Data bytes written per copy. */
  bytes: number;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `4G` → 4 GiB; numbers pass through. */
export function parseVolumeSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(size.trim());
  if (!m) throw new IngestError('INVALID_OPTIONS', `volume size ${JSON.stringify(size)}: expected bytes or 700M, 4G…`, { context: { field: 'volumeSize' } });
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

function checkMemberName(item: MediaItem, label: string): IngestError | undefined {
  const name = item.member;
  const bad =
    name === '' || isAbsolute(name) || name.includes('\\') || name.includes('\0') || name.split('/').some((p) => p === '..' || p === '.' || p === '')
      ? 'must be a relative path without "..", "." or empty parts'
      : /\.(label|index)\.json$/.test(name) && (name === labelMemberName(label) || name === indexMemberName(label))
        ? 'is reserved for the volume label and index'
        : undefined;
  return bad && new IngestError('UNSAFE_DESTINATION', `member name ${JSON.stringify(name)} ${bad}`, { context: { file: item.path, member: name } });
}

/** The run's state while it writes (see {@link openVolumes}). */
export interface VolumeRun {
  dirs: string[];
  settings: z.output<typeof writeVolumesOptionsSchema>;
  volumeSize: number;
  now: () => number;
  nextVolume: number;
  nextSerial: number;
  /** Items written so far. */
  count: number;
  current?: { set: VolumeSet; entries: IndexEntry[]; lines: string[]; lineBytes: number; items: WrittenItem[] };
  report: WriteVolumesReport;
}

async function startVolume(run: VolumeRun): Promise<NonNullable<VolumeRun['current']>> {
  const label: VolumeLabel = {
    format: MEDIA_FORMAT,
    label: volumeLabel(run.settings.labelPrefix, run.nextVolume),
    volume: run.nextVolume,
    copy: 1,
    copies: run.settings.copies,
    createdAt: new Date(run.now()).toISOString(),
    firstSerial: run.nextSerial,
  };
  const set = await VolumeSet.create(label, run.dirs);
  run.current = { set, entries: [], lines: [], lineBytes: 0, items: [] };
  return run.current;
}

async function finishVolume(run: VolumeRun): Promise<void> {
  const current = run.current;
  if (!current) return;
  run.current = undefined;
  const { set, lines, entries, items } = current;
  const paths = await set.finish(lines, run.nextSerial - 1);
  run.nextVolume++;
  const label = set.label;
  run.report.volumes.push({
    label: label.label,
    volume: label.volume,
    paths,
    size: set.size,
    firstSerial: label.firstSerial,
    lastSerial: run.nextSerial - 1,
    members: entries.length,
  });
  for (const item of items) {
    item.placements = item.placements.flatMap((p) => paths.map((path, i) => ({ ...p, copy: i + 1, path })));
    run.report.items.push(item);
  }
  const catalog = run.settings.catalog;
  if (!catalog) return;
  const verifiedAt = run.now();
  for (const item of items) {
    if (item.archiveId === undefined) continue;
    for (const p of item.placements) {
      const { path, ...medium } = p;
      try {
        await addLocationTo(catalog, item.archiveId, { uri: `${path}#${item.member}`, transport: MEDIA_TRANSPORT_NAME, verifiedAt, medium });
      } catch (error) {
        run.report.catalogErrors.push({ archiveId: item.archiveId, error: toIngestError(error, { file: path }) });
      }
    }
  }
}

/** Bytes the current volume would need to take `header` + data of `size` and still close with its index. */
function fits(run: VolumeRun, current: NonNullable<VolumeRun['current']>, span: number, entryBytes: number): boolean {
  const index = indexSpan(current.set.label, current.entries.length + 1, current.lineBytes + entryBytes);
  return current.set.size + span + index + TAR_EOF.length <= run.volumeSize;
}

async function writeItem(run: VolumeRun, item: MediaItem, source: FileHandle, size: number, mtimeMs: number): Promise<void> {
  const header = memberHeader(item.member, size, mtimeMs);
  const span = header.length + size + ((512 - (size % 512)) % 512);
  const draft = (current: NonNullable<VolumeRun['current']>): IndexEntry => ({
    serial: run.nextSerial,
    member: current.entries.length + 2,
    name: item.member,
    size,
    sha256: item.sha256 ?? '0'.repeat(64),
    offset: current.set.size + header.length,
    headerOffset: current.set.size,
    ...(item.archiveId !== undefined ? { archiveId: item.archiveId } : {}),
    ...(item.hdus ? { hdus: item.hdus } : {}),
    ...(item.file ? { file: item.file } : {}),
  });
  let current = run.current ?? (await startVolume(run));
  if (!fits(run, current, span, Buffer.byteLength(entryText(draft(current))))) {
    if (current.entries.length > 0) {
      await finishVolume(run);
      current = await startVolume(run);
    }
    if (!fits(run, current, span, Buffer.byteLength(entryText(draft(current))))) {
      throw new IngestError('MEDIA_ITEM_TOO_LARGE', `${size} bytes (with headers and the volume's label and index) do not fit in a ${run.volumeSize}-byte volume`, {
        context: { file: item.path, member: item.member, size, volumeSize: run.volumeSize },
      });
    }
  }
  const entry = draft(current);
  const start = current.set.size;
  await current.set.append(header);
  let data;
  try {
    data = await current.set.appendFile(source, size, item.path, run.settings.signal);
  } catch (error) {
    if (!isIngestError(error, 'ABORTED')) await current.set.truncate(start);
    throw error;
  }
  // A file that ends early or grows while it is read failed above with SOURCE_CHANGED (the pump's rule).
  const problem = item.sha256 !== undefined && data.sha256 !== item.sha256 ? `the bytes read hash to ${data.sha256}, not the expected ${item.sha256}` : undefined;
  if (problem) {
    await current.set.truncate(start);
    throw new IngestError('DIGEST_MISMATCH', `${problem}; the member was removed from volume ${current.set.label.label}`, {
      context: { file: item.path, member: item.member },
      hint: 'the source changed or differs from the catalog; check it (fits-ingest checksum verify) and write it again',
    });
  }
  entry.sha256 = data.sha256;
  const line = entryText(entry);
  current.entries.push(entry);
  current.lines.push(line);
  current.lineBytes += Buffer.byteLength(line);
  current.items.push({
    member: item.member,
    path: item.path,
    ...(item.archiveId !== undefined ? { archiveId: item.archiveId } : {}),
    size,
    sha256: data.sha256,
    serial: entry.serial,
    placements: [{ volume: current.set.label.label, copy: 1, member: entry.member, offset: entry.offset, serial: entry.serial, path: '' }],
  });
  run.nextSerial++;
  run.report.bytes += size;
}

async function openSource(item: MediaItem): Promise<{ handle: FileHandle; size: number; mtimeMs: number }> {
  const handle = await open(item.path, 'r').catch((error: unknown) => {
    throw toIngestError(error, { file: item.path, member: item.member });
  });
  const info = await handle.stat();
  if (item.size !== undefined && info.size !== item.size) {
    await handle.close();
    throw new IngestError('DIGEST_MISMATCH', `the file has ${info.size} bytes, ${item.size} expected`, {
      context: { file: item.path, member: item.member },
      hint: 'the source changed or differs from the catalog; check it and write it again',
    });
  }
  return { handle, size: info.size, mtimeMs: info.mtimeMs };
}

/**
 * Writes `items` to volumes in `out`, continuing the label and serial sequence of the complete volumes already
 * there (a partial volume of an interrupted run is replaced). Items that fail (missing, changed, too large for a
 * volume, unsafe name) are reported in `failed`; the run carries on. Throws only for the run as a whole (bad
 * options, an output directory that cannot be written, ABORTED).
 *
 * @example
 * ```ts
 * const report = await writeVolumes(
 *   [{ member: 'pkg/README.txt', path: '/tmp/pkg/README.txt' }],
 *   { out: '/media/disk1', volumeSize: '4G', copies: 2 },
 * );
 * console.log(report.items[0].placements); // volume, copy, member, offset, serial, path — per copy
 * ```
 */
export async function writeVolumes(items: Iterable<MediaItem> | AsyncIterable<MediaItem>, options: WriteVolumesOptions): Promise<WriteVolumesReport> {
  const run = await openVolumes(options);
  try {
    for await (const item of items) {
      await writeMediaItem(run, item);
    }
    await closeVolume(run);
  } finally {
    await run.current?.set.close();
  }
  run.report.nextSerial = run.nextSerial;
  return run.report;
}

/**
 * Opens a run of volumes (options checked, output directories found, the sequence continued and partial volumes
 * removed) that items are then written to one at a time ({@link writeMediaItem}) and volumes closed on demand
 * ({@link closeVolume}). `writeVolumes` is the batch form; the live media transport keeps a run open.
 */
export async function openVolumes(options: WriteVolumesOptions): Promise<VolumeRun> {
  const settings = parseOptions(writeVolumesOptionsSchema, options, 'writeVolumes');
  const outs = typeof settings.out === 'string' ? [settings.out] : settings.out;
  if (outs.length !== 1 && outs.length !== settings.copies) {
    throw new IngestError('INVALID_OPTIONS', `out lists ${outs.length} directories for ${settings.copies} copies`, {
      context: { field: 'out' },
      hint: 'give one directory (all copies there) or one per copy',
    });
  }
  const dirs = Array.from({ length: settings.copies }, (_, i) => resolve(outs[outs.length === 1 ? 0 : i]!));
  for (const dir of new Set(dirs)) {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new IngestError('FILE_NOT_FOUND', 'the output directory does not exist', { context: { file: dir, field: 'out' }, hint: 'mount the medium or create the directory' });
    }
  }
  const sequence = await continueSequence(dirs, settings.labelPrefix);
  return {
    dirs,
    settings,
    volumeSize: parseVolumeSize(settings.volumeSize),
    now: settings.now ?? Date.now,
    nextVolume: sequence.nextVolume,
    nextSerial: sequence.nextSerial,
    count: 0,
    report: { volumes: [], items: [], failed: [], catalogErrors: [], discarded: sequence.discarded, nextSerial: 0, bytes: 0 },
  };
}

/**
 * Writes one item to the run's current volume (closing it first when the item does not fit). Returns true when
 * written; a failure of the item itself goes on `run.report.failed` (false); a failure of the volume (a full
 * disk, ABORTED) throws.
 */
export async function writeMediaItem(run: VolumeRun, item: MediaItem): Promise<boolean> {
  const settings = run.settings;
  if (settings.signal?.aborted) throw new IngestError('ABORTED', 'the volume write was cancelled');
  const unsafe = checkMemberName(item, volumeLabel(settings.labelPrefix, run.nextVolume));
  if (unsafe) {
    run.report.failed.push({ member: item.member, path: item.path, ...(item.archiveId ? { archiveId: item.archiveId } : {}), error: unsafe });
    return false;
  }
  let source: Awaited<ReturnType<typeof openSource>> | undefined;
  try {
    source = await openSource(item);
    await writeItem(run, item, source.handle, source.size, source.mtimeMs);
    run.count++;
    settings.onProgress?.({ bytes: run.report.bytes, items: run.count, volume: run.current?.set.label.label ?? '', member: item.member });
    return true;
  } catch (error) {
    const failure = toIngestError(error, { file: item.path });
    // Failures of the volume itself (a full disk, a cancelled run) end the run; the item's own go on the report.
    if (failure.code === 'ABORTED' || failure.context.file !== item.path) throw failure;
    run.report.failed.push({ member: item.member, path: item.path, ...(item.archiveId ? { archiveId: item.archiveId } : {}), error: failure });
    return false;
  } finally {
    await source?.handle.close();
  }
}

/** Completes the current volume (index, end blocks, flush, rename, catalog locations); undefined when none is open. */
export async function closeVolume(run: VolumeRun): Promise<WrittenVolume | undefined> {
  if (!run.current) return undefined;
  await finishVolume(run);
  run.report.nextSerial = run.nextSerial;
  return run.report.volumes.at(-1);
}
