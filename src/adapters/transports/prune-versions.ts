/**
 * Removing an old version: the one explicit, admin-only action that deletes archived bytes. A reingest never
 * overwrites (the superseded version keeps its bytes at its location); this takes a superseded version's
 * filesystem copies away for good, after checking they hold that version's bytes, and records it in the version's
 * history (a PRUNE transition: the record stays SUPERSEDED, without locations). Internal to
 * src/adapters/transports; exported from the filesystem transport's module.
 *
 * @module
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { IngestError } from '../../core/errors.js';
import { transition } from '../../core/lifecycle/transition.js';
import type { ArchivedFile, Catalog } from '../../core/ports/catalog.js';
import { sumFile } from '../../io/checksum-file.js';
import { Manifests } from './_manifest.js';

/** Options of {@link pruneVersion}. */
export interface PruneVersionOptions {
  catalog: Catalog;
  archiveId: string;
  /** Which version: 1 is the first (oldest) archived under the id. */
  version: number;
  /** Must be `true`: the bytes are removed for good (the CLI's `--yes`). */
  confirm: boolean;
  /** Who prunes, recorded in the history. @default 'admin' */
  actor?: string;
  /** The time recorded (epoch ms). @default Date.now() */
  now?: number;
}

/** What {@link pruneVersion} removed. */
export interface PrunedVersion {
  archiveId: string;
  version: number;
  recordId: string;
  sha256: string;
  /** The archived copies removed (their sidecars and manifest lines went with them). */
  removed: string[];
}

/** Every version of an archive id, oldest first (version 1 first). */
export async function listVersions(catalog: Catalog, archiveId: string): Promise<ArchivedFile[]> {
  if (!catalog.archivedVersions) throw new IngestError('UNSUPPORTED_OPERATION', `the ${catalog.name} catalog cannot list old versions`);
  return catalog.archivedVersions(archiveId);
}

/** The manifest that lists `path` (`MANIFEST.sha256` in its directory or one of the 3 above), and its entry. */
async function manifestOf(path: string): Promise<{ dir: string; entry: string } | undefined> {
  let dir = dirname(path);
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.includes('MANIFEST.sha256')) return { dir, entry: relative(dir, path).split(sep).join('/') };
  }
  return undefined;
}

/**
 * Removes the bytes of superseded version `version` of `archiveId`: checks each filesystem copy holds the
 * version's SHA-256, records the PRUNE in the catalog (its history names the actor and the paths), then removes
 * the copies, their sidecars and their manifest lines. Copies another version also lists (a reingest of identical
 * bytes) are kept.
 *
 * @throws IngestError INVALID_OPTIONS without `confirm: true`; NOT_FOUND for an unknown id or version;
 *   ILLEGAL_TRANSITION for the current version; DIGEST_MISMATCH when a copy does not hold the version's bytes;
 *   UNSUPPORTED_OPERATION for copies on media or remote, or a catalog without versions.
 */
export async function pruneVersion(options: PruneVersionOptions): Promise<PrunedVersion> {
  const { catalog, archiveId, version, actor = 'admin' } = options;
  if (options.confirm !== true) {
    throw new IngestError('INVALID_OPTIONS', 'pruning removes archived bytes for good; confirm it explicitly (confirm: true, --yes)', { context: { field: 'confirm' } });
  }
  if (!catalog.pruneVersion) throw new IngestError('UNSUPPORTED_OPERATION', `the ${catalog.name} catalog cannot prune versions`);
  const versions = await listVersions(catalog, archiveId);
  const file = Number.isInteger(version) && version >= 1 ? versions[version - 1] : undefined;
  if (!file) throw new IngestError('NOT_FOUND', `${archiveId} has no version ${version} (it has ${versions.length})`, { context: { archiveId } });
  const record = await catalog.getRecord(file.recordId);
  if (!record) throw new IngestError('NOT_FOUND', `no record ${file.recordId}`, { context: { archiveId } });
  if (record.state !== 'SUPERSEDED') {
    throw new IngestError('ILLEGAL_TRANSITION', `version ${version} of ${archiveId} is ${record.state === 'ARCHIVED' ? 'the current one' : record.state}; only superseded versions can be pruned`, {
      context: { archiveId, recordId: record.id },
    });
  }
  const elsewhere = file.locations.filter((l) => l.medium !== undefined || !isAbsolute(l.uri));
  if (elsewhere.length > 0) {
    throw new IngestError('UNSUPPORTED_OPERATION', `version ${version} of ${archiveId} has copies on media or remote (${elsewhere.map((l) => l.uri).join(', ')}); prune removes filesystem copies only`, {
      context: { archiveId },
    });
  }
  const shared = new Set(versions.filter((v) => v.recordId !== file.recordId).flatMap((v) => v.locations.map((l) => l.uri)));
  const remove: string[] = [];
  for (const { uri } of file.locations) {
    if (shared.has(uri)) continue;
    const sums = await sumFile(uri, { sha256: true }).catch(() => undefined);
    if (sums === undefined) continue; // already gone
    if (sums.sha256 !== file.sha256) {
      throw new IngestError('DIGEST_MISMATCH', `${uri} does not hold version ${version} of ${archiveId} (SHA-256 ${sums.sha256}, expected ${file.sha256}); nothing was removed`, {
        context: { file: uri, archiveId },
      });
    }
    remove.push(uri);
  }
  const moved = transition(record, { type: 'PRUNE', actor, message: `removed ${remove.length ? remove.join(', ') : 'no copy (none left)'}` }, options.now ?? Date.now());
  await catalog.pruneVersion(moved.record, moved.entry!);
  const manifests = new Manifests();
  for (const path of remove) {
    const manifest = await manifestOf(path);
    await rm(path, { force: true });
    await rm(`${path}.json`, { force: true });
    if (manifest) await manifests.drop(manifest.dir, 'MANIFEST.sha256', manifest.entry, file.sha256, true);
  }
  return { archiveId, version, recordId: record.id, sha256: file.sha256, removed: remove };
}

