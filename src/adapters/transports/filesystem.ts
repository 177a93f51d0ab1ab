/**
 * Shared-filesystem transport: copies prepared files into an archive directory tree (a local disk, an NFS or
 * Lustre mount), atomically and verified at the destination, with a sidecar JSON per file and a per-night
 * `sha256sum -c` manifest.
 *
 * A transfer: the destination path comes from `layout` and can never leave `root` (unsafe names and symbolic
 * links pointing outside are refused). If the destination already holds the requested bytes the receipt says
 * `alreadyPresent` and nothing is written; other bytes throw ARCHIVE_ID_CONFLICT unless `request.replace` (a
 * reingest), which never overwrites: the new version goes to `<dir>/versions/<stem>.v<N>.fits` (N = 2, 3, …) and
 * the archived bytes stay where the catalog's location of the superseded version says.
 * Otherwise the file is hard-linked (same filesystem: the staged copy is never written again) or copied by the
 * kernel to `.<name>.tmp` in the destination directory and read back there: size, every HDU's DATASUM/CHECKSUM and
 * the SHA-256 (unless `verify: 'fits'`). Its sidecar goes to a temp file beside it; both are flushed in a pass shared
 * with every transfer in flight (batch durability, io/sync-batch.ts), then renamed over their final names, and the
 * directory is flushed (one flush shared by the transfers into it meanwhile). Temp files are removed on success and failure; one left by a crash
 * is replaced by the next transfer to the same destination.
 *
 * @module
 */
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { IngestError, toIngestError } from '../../core/errors.js';
import type { DiscardTarget, TransferReceipt, TransferRequest, Transport } from '../../core/ports/transport.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import { parseOptions } from '../_shared/options.js';
import { syncDirectoryShared } from '../../io/durable-fs.js';
import { sharedSyncBatch } from '../../io/sync-batch.js';
import {
  linkOrCopy,
  removeStaleTemps,
  tempName,
  throwIfAborted,
  writeFileAtomic,
} from '../_shared/files.js';
import { inspect, notTheRequestedBytes } from './_verify.js';
import { KeyedMutex } from '../_shared/keyed-mutex.js';
import { parseLayout, renderLayout, type Layout } from './_layout.js';
import { Manifests } from './_manifest.js';
import { DirectoryCache, safeDestination, type SafeDestination } from '../_shared/safe-path.js';

/** Name of the shared-filesystem transport. */
export const FILESYSTEM_TRANSPORT = 'filesystem';

const layoutSchema = (requireArchiveId: boolean) =>
  z.string().superRefine((template, ctx) => {
    const layout = parseLayout(template, requireArchiveId);
    if (typeof layout === 'string') ctx.addIssue({ code: 'custom', message: `invalid layout "${template}": ${layout}` });
  });

const filesystemTransportOptionsSchema = z.strictObject({
  /** The archive root directory. It must exist (it is never created, so an unmounted disk is noticed). */
  root: z.string().min(1),
  /**
   * Where a file goes under `root`: literal text and `{archiveId}` (required), `{recordId}`, `{instrument}`
   * (`:lower`/`:upper`), `{level}`, `{night}` (`{night:YYYYMMDD}`, pieces YYYY YY MM DD and - _ .).
   * @default '{instrument}/{night:YYYYMMDD}/lev{level}/{archiveId}.fits'
   */
  layout: layoutSchema(true).default('{instrument}/{night:YYYYMMDD}/lev{level}/{archiveId}.fits'),
  /**
   * Write `<file>.json` next to each file: ids, night, level, original name, size, SHA-256, HDU sums, and
   * `metadata` (the request's `sidecar`). @default true
   */
  sidecar: z.boolean().default(true),
  /** Keep a digest manifest per night, appended in `committed()`, checkable with `sha256sum -c`. @default true */
  manifest: z.boolean().default(true),
  /**
   * Where the manifest goes under `root` (same placeholders as `layout`); its lines name files relative to its
   * directory. @default '{instrument}/{night:YYYYMMDD}/MANIFEST.sha256'
   */
  manifestLayout: layoutSchema(false).default('{instrument}/{night:YYYYMMDD}/MANIFEST.sha256'),
  /** fsync files and directories before reporting success. @default true */
  fsync: z.boolean().default(true),
  /**
   * How each archived copy is verified where it lies, in one read pass: `sha256` checks size, SHA-256 and every
   * HDU's DATASUM/CHECKSUM; `fits` checks size and the FITS sums only (faster; the SHA-256 recorded is the one
   * computed when the copy was staged). @default 'sha256'
   */
  verify: z.enum(['sha256', 'fits']).default('sha256'),
  /** The transport's name. @default 'filesystem' */
  name: z.string().min(1).default(FILESYSTEM_TRANSPORT),
});

/** Options of {@link createFilesystemTransport}. */
export type FilesystemTransportOptions = z.input<typeof filesystemTransportOptionsSchema>;

function layoutOf(template: string, requireArchiveId: boolean): Layout {
  const layout = parseLayout(template, requireArchiveId);
  if (typeof layout === 'string') throw new IngestError('INTERNAL', `layout passed validation but does not parse: ${layout}`);
  return layout;
}

/**
 * True when the file at `path` was archived from the same source bytes as the request (its sidecar says so): a
 * copy prepared again after a crash lost the catalog's record of it, differing only in ingestion timestamps. It
 * is replaced rather than reported as a conflict.
 */
async function sameSource(path: string, request: TransferRequest): Promise<'same-record' | 'other-record' | false> {
  const wanted = request.sidecar['sourceSha256'];
  if (typeof wanted !== 'string') return false;
  try {
    const sidecar = JSON.parse(await readFile(`${path}.json`, 'utf8')) as { archiveId?: string; recordId?: string; metadata?: { sourceSha256?: unknown } };
    if (sidecar.archiveId !== request.archiveId || sidecar.metadata?.sourceSha256 !== wanted) return false;
    return sidecar.recordId === request.recordId ? 'same-record' : 'other-record';
  } catch {
    return false;
  }
}

/** The record id the sidecar of `path` names, if it has one. */
async function sidecarRecord(path: string): Promise<string | undefined> {
  try {
    const sidecar = JSON.parse(await readFile(`${path}.json`, 'utf8')) as { recordId?: unknown };
    return typeof sidecar.recordId === 'string' ? sidecar.recordId : undefined;
  } catch {
    return undefined;
  }
}

/** Most versions one archive id may have (a guard against a reingest loop). */
const MAX_VERSIONS = 999;

/**
 * Where version `n` (2, 3, …) of the file whose current layout path is `relPath` lives:
 * `<dir>/versions/<stem>.v<n>.fits` (the first version keeps the layout's path).
 */
export function versionPath(relPath: string, n: number): string {
  const slash = relPath.lastIndexOf('/');
  const dir = slash < 0 ? '' : relPath.slice(0, slash + 1);
  const base = relPath.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  return `${dir}versions/${stem}.v${n}${ext}`;
}

/** What a transfer put in place (or found there), and where. */
interface Placed {
  digest: { size: number; sha256: string };
  alreadyPresent: boolean;
  dest: SafeDestination;
  /** The path relative to the root, with `/`. */
  rel: string;
}

/** EEXIST or ENOENT on a temp file: another process writes the same destination at the same time. */
const concurrentWriter = (error: unknown): boolean => ['EEXIST', 'ENOENT'].includes((error as NodeJS.ErrnoException | null)?.code ?? '');

async function removePlaced(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => {});
  await rm(`${path}.json`, { force: true }).catch(() => {});
}

type SidecarFields = Pick<TransferRequest, 'archiveId' | 'recordId' | 'instrument' | 'level' | 'night' | 'originalName' | 'hdus' | 'sidecar'>;

function sidecarJson(request: SidecarFields, digest: { size: number; sha256: string }): string {
  const content = {
    archiveId: request.archiveId,
    recordId: request.recordId,
    instrument: request.instrument,
    level: request.level,
    night: request.night,
    originalName: request.originalName,
    size: digest.size,
    sha256: digest.sha256,
    hdus: request.hdus,
    metadata: request.sidecar,
  };
  return `${JSON.stringify(content, null, 2)}\n`;
}

/**
 * Writes the sidecar of an archived copy at `path` again, from what the catalog holds, when it is missing (the
 * scrub calls it after rebuilding a lost copy). The original's `warnings` and `software` are not in the catalog;
 * `restoredBy` and `restoredAt` say where this one came from. Resolves to true when it wrote one.
 */
export async function restoreSidecar(path: string, file: ArchivedFile, restoredBy: string, at: number): Promise<boolean> {
  const sidecarPath = `${path}.json`;
  if (await access(sidecarPath).then(() => true, () => false)) return false;
  const { archiveId, recordId, instrument, level, night, originalName, size, sha256, hdus, parents, source, sourceSha256 } = file;
  const metadata = { archiveId, instrument, level, parents, night, originalName, source, sourceSha256, sha256, size, hdus, program: file.program ?? null, dateObs: file.dateObs ?? null, restoredBy, restoredAt: new Date(at).toISOString() };
  const text = sidecarJson({ archiveId, recordId, instrument, level, night, originalName, hdus, sidecar: metadata }, { size, sha256 });
  await writeFileAtomic(dirname(sidecarPath), basename(sidecarPath), text, true);
  return true;
}

/**
 * A transport into a directory tree on a filesystem this machine mounts; files appear atomically (temp name, flush,
 * rename). Transfers to one destination are serialized within
 * this process; across processes the temp cleanup may make a concurrent transfer of the same id fail with a
 * transient error, never corrupt the archive.
 *
 * @throws IngestError INVALID_OPTIONS when an option (e.g. a layout) is wrong.
 */
export function createFilesystemTransport(input: FilesystemTransportOptions): Transport {
  const options = parseOptions(filesystemTransportOptionsSchema, input, 'the filesystem transport');
  const root = resolve(options.root);
  const layout = layoutOf(options.layout, true);
  const manifestLayout = layoutOf(options.manifestLayout, false);
  const destinations = new KeyedMutex();
  const manifests = new KeyedMutex();
  const book = new Manifests();
  const directories = new DirectoryCache();

  /**
   * Puts the file in place (or finds it there) and verifies it where it now lies; returns what was verified and
   * whether it was there already.
   */
  const place = async (request: TransferRequest, rel: string, dest: SafeDestination, signal?: AbortSignal): Promise<Placed> => {
    const existing = await inspect(dest.path, request, options.verify, signal);
    if (existing && existing.problem === undefined) return { digest: existing, alreadyPresent: true, dest, rel };
    if (existing && request.replace) return placeVersion(request, rel, signal);
    const source = existing ? await sameSource(dest.path, request) : false;
    // Another record's copy of the same source (a racing duplicate, or one a lost catalog forgot) is never
    // overwritten: this one goes beside it as a version; the catalog decides which one it lists.
    if (source === 'other-record') return placeVersion(request, rel, signal);
    if (existing && !source) {
      throw new IngestError(
        'ARCHIVE_ID_CONFLICT',
        `${dest.path} already holds other bytes (${existing.problem}); the request has SHA-256 ${request.sha256} (${request.size} bytes)`,
        { context: { file: request.path, archiveId: request.archiveId, existingSha256: existing.sha256, sha256: request.sha256 } },
      );
    }
    return { digest: await putInPlace(request, dest, signal), alreadyPresent: false, dest, rel };
  };

  /**
   * A reingest never overwrites: the archived bytes stay where their location says, and the new version goes to
   * `versions/<stem>.v<N>.fits` beside them (N = 2, 3, … the first free one, or the one already holding these
   * bytes after a crash).
   */
  const placeVersion = async (request: TransferRequest, rel: string, signal?: AbortSignal): Promise<Placed> => {
    for (let n = 2; n <= MAX_VERSIONS; n++) {
      const versionRel = versionPath(rel, n);
      const versioned = await safeDestination(root, versionRel, directories);
      await removeStaleTemps(versioned.dir, versioned.base);
      const there = await inspect(versioned.path, request, options.verify, signal);
      if (there?.problem === undefined && there) return { digest: there, alreadyPresent: true, dest: versioned, rel: versionRel };
      if (there) continue;
      return { digest: await putInPlace(request, versioned, signal), alreadyPresent: false, dest: versioned, rel: versionRel };
    }
    throw new IngestError('DESTINATION_EXISTS', `${rel} already has ${MAX_VERSIONS} versions; prune old ones (fits-ingest versions prune)`, {
      context: { file: request.path, archiveId: request.archiveId },
    });
  };

  /**
   * Links or copies the staged file to `dest` through a temp name and verifies it there (the rename changes no byte),
   * writes the sidecar's temp file, flushes both in the process's shared pass (batch durability: the transfers in
   * flight share one flush pass, see io/sync-batch.ts), and only then renames both into place: a name in the archive
   * never points at bytes that are not on disk. The caller flushes the directory.
   */
  const putInPlace = async (request: TransferRequest, dest: SafeDestination, signal?: AbortSignal) => {
    const temp = join(dest.dir, tempName(dest.base));
    const sidecarBase = `${dest.base}.json`;
    const sidecarTemp = join(dest.dir, tempName(sidecarBase));
    try {
      await linkOrCopy(request.path, temp, false);
      throwIfAborted(signal, request.path);
      const placed = await inspect(temp, request, options.verify, signal);
      if (!placed || placed.problem !== undefined) throw notTheRequestedBytes(request, `the archived copy ${dest.path}`, placed?.problem ?? 'it vanished');
      if (options.sidecar) await writeFile(sidecarTemp, sidecarJson(request, placed), { flag: 'wx', mode: 0o644 });
      if (options.fsync) await sharedSyncBatch.sync(options.sidecar ? [temp, sidecarTemp] : [temp]);
      throwIfAborted(signal, request.path);
      await rename(temp, dest.path);
      if (options.sidecar) {
        await rename(sidecarTemp, join(dest.dir, sidecarBase)).catch(async (error: unknown) => {
          // The sidecar cannot be put in place (a full disk, a squatted name): take the copy back, as below.
          if (!concurrentWriter(error)) await removePlaced(dest.path);
          throw error;
        });
      }
      return placed;
    } finally {
      await rm(temp, { force: true });
      if (options.sidecar) await rm(sidecarTemp, { force: true });
    }
  };

  const transfer = async (request: TransferRequest, signal?: AbortSignal): Promise<TransferReceipt> => {
    const startedAt = Date.now();
    throwIfAborted(signal, request.path);
    const relPath = renderLayout(layout, request);
    return destinations.run(relPath, async () => {
      const dest = await safeDestination(root, relPath, directories).catch((error: unknown) => {
        directories.clear(); // a directory may have moved: check the whole path again next time
        throw error;
      });
      await removeStaleTemps(dest.dir, dest.base);
      const placed = await place(request, relPath, dest, signal);
      const { digest, alreadyPresent } = placed;
      try {
        // Identical bytes another record placed keep that record's sidecar (it names who owns the copy).
        const owner = alreadyPresent ? await sidecarRecord(placed.dest.path) : undefined;
        const keepSidecar = (owner !== undefined && owner !== request.recordId) || !alreadyPresent; // a new copy's came with it
        if (options.sidecar && !keepSidecar) await writeFileAtomic(placed.dest.dir, `${placed.dest.base}.json`, sidecarJson(request, digest), options.fsync, false);
        // One shared directory flush makes the renames durable (the file's and the sidecar's, and those of any
        // transfer into the same night running meanwhile).
        if (options.fsync) await syncDirectoryShared(placed.dest.dir);
      } catch (error) {
        // A full or failing disk: take back what this transfer put there, so the archive holds no file the catalog
        // will not list (the record is retried or given up). Not when the sidecar's temp file was taken or removed
        // under us: another process is transferring the same file (a host that took the work over) and may commit
        // this very copy.
        if (!alreadyPresent && !concurrentWriter(error)) await removePlaced(placed.dest.path);
        throw error;
      }
      const { sha256, size } = digest;
      return { location: join(root, placed.rel), sha256, size, alreadyPresent, startedAt, finishedAt: Date.now() };
    });
  };

  const committed = async (request: TransferRequest, receipt: TransferReceipt): Promise<void> => {
    if (!options.manifest) return;
    const manifestRel = renderLayout(manifestLayout, request);
    const relPath = relative(root, receipt.location).split(sep).join('/');
    if (relPath.startsWith('..')) throw new IngestError('UNSAFE_DESTINATION', `${receipt.location} is not under ${root}`, { context: { file: request.path } });
    const entry = posix.relative(posix.dirname(manifestRel), relPath);
    const { path, flush } = await manifests.run(manifestRel, async () => {
      const dest = await safeDestination(root, manifestRel, directories);
      return { path: dest.path, flush: await book.record(dest.dir, dest.base, entry, receipt.sha256, options.fsync) };
    });
    // Outside the per-manifest lock, so that concurrent transfers of a night share one flush.
    if (flush) await book.flush(path);
  };

  /** The copy a record placed: the layout path or one of its versions whose sidecar names the record. */
  const discard = async (target: DiscardTarget): Promise<void> => {
    const request = target as unknown as TransferRequest;
    const relPath = renderLayout(layout, request);
    for (let n = 1, missing = 0; n <= MAX_VERSIONS && missing < 3; n++) {
      const rel = n === 1 ? relPath : versionPath(relPath, n);
      const path = join(root, rel);
      if (target.keep.includes(path)) continue;
      const sidecar = await readFile(`${path}.json`, 'utf8').then((text) => JSON.parse(text) as { recordId?: string; sha256?: string }, () => undefined);
      if (sidecar === undefined) {
        if (n > 1) missing++; // a discarded version leaves a gap; three in a row end the search
        continue;
      }
      if (sidecar.recordId !== target.recordId || sidecar.sha256 !== target.sha256) continue;
      await destinations.run(relPath, () => removePlaced(path));
      if (options.manifest) {
        const manifestRel = renderLayout(manifestLayout, request);
        const entry = posix.relative(posix.dirname(manifestRel), rel);
        await manifests.run(manifestRel, async () => {
          const dest = await safeDestination(root, manifestRel, directories);
          await book.drop(dest.dir, dest.base, entry, target.sha256, options.fsync);
        });
      }
      return;
    }
  };

  const wrap =
    <A extends unknown[], R>(fn: (request: TransferRequest, ...rest: A) => Promise<R>) =>
    async (request: TransferRequest, ...rest: A): Promise<R> => {
      try {
        return await fn(request, ...rest);
      } catch (error) {
        throw toIngestError(error, { file: request.path, archiveId: request.archiveId });
      }
    };

  return {
    name: options.name,
    transfer: wrap(transfer),
    committed: wrap(committed),
    discard: async (target) => discard(target).catch((error: unknown) => {
      throw toIngestError(error, { archiveId: target.archiveId });
    }),
  };
}

export { listVersions, pruneVersion, type PrunedVersion, type PruneVersionOptions } from './prune-versions.js';
