/**
 * Closing the crash window of `media write`: a volume is renamed complete before its members' locations are added
 * to the catalog, so a crash in between leaves a complete volume the catalog does not know, and the next run
 * would write its files again (twice on media). `recordLastVolume` reads the index of the highest complete volume
 * (every copy) and adds each member's location the catalog lacks — for a member whose archive id the catalog
 * holds with the same SHA-256 — before the next run selects what to write.
 *
 * @module
 */
import type { Catalog } from '../../../core/ports/catalog.js';
import { IngestError, isIngestError } from '../../../core/errors.js';
import { scanVolumes } from './_sequence.js';
import { readVolume } from './read-volume.js';
import { MEDIA_TRANSPORT_NAME } from './write-volumes.js';
import { addLocationTo } from '../../../core/ports/catalog-fallbacks.js';

/** What {@link recordLastVolume} did. */
export interface RecordLastVolumeReport {
  /** The last complete volume's copies read. */
  volumes: string[];
  /** Locations added (members the catalog did not locate yet). */
  recorded: number;
  /** Members whose archive id the catalog holds with other bytes, or not at all: left alone. */
  skipped: { path: string; serial: number; archiveId?: string; reason: string }[];
}

/** Adds the catalog locations of the last complete volume in `out` (one directory, or one per copy) it lacks. */
export async function recordLastVolume(out: string | readonly string[], options: { catalog: Catalog; labelPrefix?: string }): Promise<RecordLastVolumeReport> {
  const { catalog, labelPrefix = 'FI' } = options;
  const dirs = typeof out === 'string' ? [out] : out;
  // A missing output directory holds no volume (writeVolumes says what is wrong with it).
  const { last } = await scanVolumes(dirs, labelPrefix).catch((error: unknown) => {
    if (isIngestError(error, 'FILE_NOT_FOUND')) return { last: undefined };
    throw error;
  });
  const report: RecordLastVolumeReport = { volumes: last?.paths ?? [], recorded: 0, skipped: [] };
  for (const path of last?.paths ?? []) {
    const { index } = await readVolume(path).catch((error: unknown) => {
      throw new IngestError('MEDIA_BAD_INDEX', `the last volume ${path} cannot be read, so its files cannot be located in the catalog`, { context: { file: path }, cause: error });
    });
    for (const entry of index.members) {
      if (entry.archiveId === undefined) continue;
      const file = await catalog.getArchived(entry.archiveId);
      const skip = (reason: string) => report.skipped.push({ path, serial: entry.serial, archiveId: entry.archiveId!, reason });
      if (!file) {
        skip('the catalog does not hold this archive id (media index restores it)');
        continue;
      }
      if (file.sha256 !== entry.sha256) {
        skip(`the catalog's ${entry.archiveId} has SHA-256 ${file.sha256}, the member ${entry.sha256}`);
        continue;
      }
      const uri = `${path}#${entry.name}`;
      if (file.locations.some((l) => l.uri === uri)) continue;
      const medium = { volume: index.label, copy: index.copy, member: entry.member, offset: entry.offset, serial: entry.serial };
      await addLocationTo(catalog, entry.archiveId, { uri, transport: MEDIA_TRANSPORT_NAME, verifiedAt: Date.parse(index.createdAt), medium });
      report.recorded++;
    }
  }
  return report;
}
