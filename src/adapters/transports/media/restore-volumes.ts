/**
 * `restoreFromVolumes`: copies selected members out of volumes into a directory, verified: each member is read
 * once into a temp file while its SHA-256 and FITS sums are checked (against the catalog or the index), and
 * renamed to its member name only when intact. A damaged copy is skipped for another copy of the same volume.
 *
 * @module
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { IngestError, toIngestError } from '../../../core/errors.js';
import type { Catalog } from '../../../core/ports/catalog.js';
import { withFileForReading } from '../../../io/durable-fs.js';
import { checkMember, readMember } from './_member-read.js';
import type { IndexEntry, VolumeIndex } from './_volume-index.js';
import { readVolume } from './read-volume.js';

/** Options of {@link restoreFromVolumes}. */
export interface RestoreOptions {
  /** Directory to restore into (created if missing). Members keep their names (relative paths) under it. */
  to: string;
  /** Which members to restore. @default every member */
  select?: (entry: IndexEntry, volume: VolumeIndex) => boolean;
  /** Check members with an archive id against the catalog rather than the index. @default undefined */
  catalog?: Catalog;
}

/** A restored file. */
export interface RestoredFile {
  name: string;
  path: string;
  serial: number;
  archiveId?: string;
  size: number;
  sha256: string;
  /** The volume copy it came from. */
  volume: string;
}

/** What {@link restoreFromVolumes} did. */
export interface RestoreReport {
  restored: RestoredFile[];
  /** Members that no copy could give intact (every copy's error), and unreadable volumes. */
  failures: IngestError[];
}

function target(root: string, name: string, volume: string, entry: IndexEntry): string {
  const path = resolve(root, name);
  if (!path.startsWith(root + sep)) {
    throw new IngestError('UNSAFE_DESTINATION', `member name ${JSON.stringify(name)} would leave the restore directory`, {
      context: { file: volume, member: entry.member, serial: entry.serial },
    });
  }
  return path;
}

async function restoreOne(volume: string, entry: IndexEntry, root: string, catalog: Catalog | undefined): Promise<RestoredFile> {
  const path = target(root, entry.name, volume, entry);
  const temp = `${path}.restoring`;
  await mkdir(dirname(path), { recursive: true });
  const out = await open(temp, 'w');
  try {
    const read = await withFileForReading(volume, (handle) => readMember(handle, volume, entry, out));
    const archived = catalog && entry.archiveId !== undefined ? await catalog.getArchived(entry.archiveId) : undefined;
    const expected = archived
      ? { size: archived.size, sha256: archived.sha256, hdus: archived.hdus, from: 'catalog' as const }
      : { size: entry.size, sha256: entry.sha256, ...(entry.hdus ? { hdus: entry.hdus } : {}), from: 'index' as const };
    const error = checkMember(volume, entry, read, expected);
    if (error) throw error;
    await out.sync();
    await out.close();
    await rename(temp, path);
    return { name: entry.name, path, serial: entry.serial, ...(entry.archiveId !== undefined ? { archiveId: entry.archiveId } : {}), size: entry.size, sha256: read.sha256, volume };
  } catch (error) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw toIngestError(error, { file: volume, member: entry.member, serial: entry.serial });
  }
}

/** Restores the selected members of `paths` into `options.to`; copies of one volume stand in for each other. */
export async function restoreFromVolumes(paths: readonly string[], options: RestoreOptions): Promise<RestoreReport> {
  const root = resolve(options.to);
  await mkdir(root, { recursive: true });
  const report: RestoreReport = { restored: [], failures: [] };
  // Serial → the copies that hold it, in the order given.
  const wanted = new Map<number, { volume: string; entry: IndexEntry }[]>();
  for (const path of paths) {
    try {
      const { index } = await readVolume(path);
      for (const entry of index.members) {
        if (options.select && !options.select(entry, index)) continue;
        wanted.set(entry.serial, [...(wanted.get(entry.serial) ?? []), { volume: path, entry }]);
      }
    } catch (error) {
      report.failures.push(toIngestError(error, { file: path }));
    }
  }
  for (const copies of [...wanted.values()].sort((a, b) => a[0]!.entry.serial - b[0]!.entry.serial)) {
    const errors: IngestError[] = [];
    for (const { volume, entry } of copies) {
      try {
        report.restored.push(await restoreOne(volume, entry, root, options.catalog));
        break;
      } catch (error) {
        errors.push(toIngestError(error));
      }
    }
    if (errors.length === copies.length) report.failures.push(...errors);
  }
  return report;
}
