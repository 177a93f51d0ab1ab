/**
 * `writeDistribution`: writes a planned package to a folder, or to tar volumes through the media transport.
 *
 * Folder layout (also the member names on volumes):
 * ```
 * index.html  MANIFEST.txt  manifest.json
 * data/<night>/<archiveId>.fits                      raw and products formats
 * data/<night>/<archiveId>/<archiveId>_<hdu>[_<EXTNAME>].fits   split format (one file per HDU)
 * thumbs/<archiveId>_<hdu>.png                       one per image HDU
 * headers/<archiveId>.txt                            every header of the file
 * attachments/<night>/<archiveId>/<name>             the file a night attachment wraps, restored
 * ```
 * With volumes, the data, thumbnails and header listings go to `volumes/` (numbered tar volumes in N copies);
 * thumbnails, header listings, the manifest and index.html also stay in the folder (the browsable "CD-ROM" of
 * CFHT's DADS), the data files do not.
 *
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { renderIndexHtml } from '../core/distribute/index-html.js';
import { writeWeatherChart } from './_weather-chart.js';
import { DISTRIBUTION_FORMAT, manifestText, type DistributionManifest, type ManifestFile, type ManifestFrame } from '../core/distribute/manifest.js';
import type { DistributionPlan, PlannedFile } from '../core/distribute/plan.js';
import { toIngestError } from '../core/errors.js';
import { walkFile } from '../io/fits-file.js';
import { unwrapForeignFile } from '../io/foreign-file.js';
import { hashCopy, verifiedCopy } from './_files.js';
import { writeSplit } from './_split-file.js';
import { headerListing, planeOf, thumbnailOf, writePng } from './thumbnails.js';
import { toVolumes, type DistributionVolumes } from './_volumes.js';

export type { DistributionVolumes };

/** Options of {@link writeDistribution}. */
export interface WriteDistributionOptions {
  /** Output folder (created if needed). */
  out: string;
  /** Make PNG thumbnails of image HDUs. @default true */
  thumbnails?: boolean;
  /** Largest side of a thumbnail, in pixels. @default 256 */
  thumbnailSize?: number;
  /** Write the package to tar volumes in `out/volumes` instead of plain files. @default undefined */
  volumes?: DistributionVolumes;
  /** Called after each archived file. @default undefined */
  onProgress?: (progress: { done: number; total: number; archiveId: string }) => void;
  /** Clock for the manifest and checksum comments (epoch ms). @default Date.now */
  now?: () => number;
}

/** What {@link writeDistribution} wrote. */
export interface DistributionResult {
  manifest: DistributionManifest;
  /** Archived files that could not be included (listed as missing in the manifest). */
  missing: ManifestFrame[];
  /** Absolute paths of index.html, manifest.json and MANIFEST.txt. */
  index: string;
  manifestJson: string;
  manifestText: string;
}

/** `a/b/c` whatever the platform. */
const posix = (root: string, path: string): string => relative(root, path).split(sep).join('/');

interface Context {
  out: string;
  /** Where data files go: `out` for folders, a staging folder for volumes. */
  dataRoot: string;
  options: WriteDistributionOptions;
  files: ManifestFile[];
  /** Data files to put on volumes: member name → absolute path and expected digest. */
  sources: Map<string, { path: string; sha256: string; size: number; archiveId?: string }>;
  now: number;
}

function frameOf(entry: PlannedFile): ManifestFrame {
  const f = entry.file;
  const object = f.header.find((c) => c.keyword === 'OBJECT')?.value;
  return {
    archiveId: f.archiveId,
    role: entry.role,
    instrument: f.instrument,
    night: f.night,
    ...(f.dateObs ? { dateObs: f.dateObs } : {}),
    ...(f.imageType ? { imageType: f.imageType } : {}),
    ...(typeof object === 'string' ? { object: object.trim() } : {}),
    originalName: f.originalName,
    ...(f.program ? { program: f.program } : {}),
    reasons: entry.reasons,
    ...(entry.note ? { note: entry.note } : {}),
    status: 'ok',
    data: [],
    thumbnails: [],
    noThumbnail: [],
  };
}

async function addFile(ctx: Context, path: string, kind: ManifestFile['kind'], extra: Partial<ManifestFile>, known?: { sha256: string; size: number }): Promise<string> {
  const root = kind === 'data' || kind === 'unwrapped' ? ctx.dataRoot : ctx.out;
  const member = posix(root, path);
  const digest = known ?? (await hashCopy(path));
  ctx.files.push({ path: member, kind, ...extra, size: digest.size, sha256: digest.sha256 });
  if (ctx.options.volumes) ctx.sources.set(member, { path, ...digest, ...(extra.archiveId ? { archiveId: extra.archiveId } : {}) });
  return member;
}

/** Restores the file an attachment wraps next to it, so that the recipient can read the log or table at once. */
async function unwrapAttachment(ctx: Context, wrapper: string, frame: ManifestFrame, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const restored = await unwrapForeignFile(wrapper, dir, { overwrite: true, restoreMode: false });
    frame.data.push(await addFile(ctx, restored.path, 'unwrapped', { archiveId: frame.archiveId }));
  } catch (error) {
    frame.note = `the wrapped file could not be restored: ${toIngestError(error).message}`;
  }
}

/** Writes one archived file: data (copied or split), thumbnails, header listing. Failures make it `missing`. */
async function writeFrame(ctx: Context, entry: PlannedFile, frame: ManifestFrame, split: boolean): Promise<void> {
  const f = entry.file;
  const id = f.archiveId;
  const dataDir = join(ctx.dataRoot, 'data', f.night);
  const copyTo = ctx.options.volumes || split ? undefined : join(dataDir, `${id}.fits`);
  let local: string;
  try {
    local = await verifiedCopy(f, copyTo);
  } catch (error) {
    frame.status = 'missing';
    frame.problem = toIngestError(error, { file: id }).message;
    return;
  }
  const structure = await walkFile(copyTo ?? local);
  const hdus = structure.hdus;
  if (split && hdus.length > 1 && entry.role !== 'attachment') {
    for (const part of await writeSplit(local, id, hdus, f.hdus, join(dataDir, id), ctx.now)) {
      frame.data.push(await addFile(ctx, part.path, 'data', { archiveId: id, hdu: part.hdu }));
    }
  } else if (copyTo) {
    frame.data.push(await addFile(ctx, copyTo, 'data', { archiveId: id }, f));
  } else if (split) {
    const to = join(dataDir, `${id}.fits`);
    frame.data.push(await addFile(ctx, to, 'data', { archiveId: id }, await hashCopy(local, to)));
  } else {
    // Volumes, raw: the member is read straight from the archive (writeVolumes checks the digest again).
    const member = `data/${f.night}/${id}.fits`;
    ctx.files.push({ path: member, kind: 'data', archiveId: id, size: f.size, sha256: f.sha256 });
    ctx.sources.set(member, { path: local, sha256: f.sha256, size: f.size, archiveId: id });
    frame.data.push(member);
  }
  if (entry.role === 'attachment') await unwrapAttachment(ctx, local, frame, join(ctx.dataRoot, 'attachments', f.night, id));
  if (ctx.options.thumbnails !== false) {
    for (const hdu of hdus) {
      const plane = planeOf(hdu);
      if ('none' in plane) {
        if (hdu.index > 0 || hdu.layout.dataSize > 0) frame.noThumbnail.push({ hdu: hdu.index, reason: plane.none });
        continue;
      }
      const image = await thumbnailOf(local, hdu, plane, ctx.options.thumbnailSize ?? 256);
      const png = join(ctx.out, 'thumbs', `${id}_${hdu.index}.png`);
      await writePng(png, image);
      const path = await addFile(ctx, png, 'thumbnail', { archiveId: id, hdu: hdu.index });
      frame.thumbnails.push({ path, hdu: hdu.index, width: image.width, height: image.height, z1: image.range.z1, z2: image.range.z2 });
    }
  }
  const listing = join(ctx.out, 'headers', `${id}.txt`);
  await mkdir(join(ctx.out, 'headers'), { recursive: true });
  await writeFile(listing, headerListing(id, hdus));
  frame.header = await addFile(ctx, listing, 'header', { archiveId: id });
}

/**
 * Writes the package `plan` describes. Archived files whose bytes cannot be found or do not match the catalog
 * are skipped and listed as missing (in the result and the manifest); everything else is written.
 *
 * @example
 * ```ts
 * const plan = await planDistribution(catalog, { program: 'K123', instruments: builtinInstruments() })
 * const { missing, index } = await writeDistribution(plan, { out: '/export/K123' })
 * ```
 */
export async function writeDistribution(plan: DistributionPlan, options: WriteDistributionOptions): Promise<DistributionResult> {
  const out = options.out;
  const now = (options.now ?? Date.now)();
  await mkdir(out, { recursive: true });
  const dataRoot = options.volumes ? join(out, '.staging') : out;
  const ctx: Context = { out, dataRoot, options, files: [], sources: new Map(), now };
  const frames: ManifestFrame[] = [];
  for (const [i, entry] of plan.files.entries()) {
    const frame = frameOf(entry);
    await writeFrame(ctx, entry, frame, plan.format === 'split');
    frames.push(frame);
    options.onProgress?.({ done: i + 1, total: plan.files.length, archiveId: entry.file.archiveId });
  }
  const manifest: DistributionManifest = {
    format: DISTRIBUTION_FORMAT,
    program: plan.program,
    ...(plan.nightFrom ? { nightFrom: plan.nightFrom } : {}),
    ...(plan.nightTo ? { nightTo: plan.nightTo } : {}),
    packageFormat: plan.format,
    nights: plan.nights,
    createdAt: new Date(now).toISOString(),
    output: options.volumes ? 'volumes' : 'folder',
    frames,
    files: ctx.files,
    notes: [...plan.notes],
  };
  const unwrappedOf = (frame: ManifestFrame) => frame.data.find((path) => ctx.files.some((f) => f.path === path && f.kind === 'unwrapped'));
  for (const path of await writeWeatherChart(out, dataRoot, frames, unwrappedOf)) await addFile(ctx, path, 'chart', {});
  if (options.volumes) {
    await toVolumes(manifest, ctx.sources, join(out, 'volumes'), options.volumes, now);
    await rm(dataRoot, { recursive: true, force: true });
  }
  const paths = { index: join(out, 'index.html'), manifestJson: join(out, 'manifest.json'), manifestText: join(out, 'MANIFEST.txt') };
  await writeFile(paths.manifestJson, `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(paths.manifestText, manifestText(manifest));
  await writeFile(paths.index, renderIndexHtml(manifest));
  return { manifest, missing: frames.filter((f) => f.status === 'missing'), ...paths };
}
