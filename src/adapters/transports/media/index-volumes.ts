/**
 * `indexVolumes`: rebuilds the catalog's knowledge of volumes from the volumes alone. Every member with an
 * archive id is read back and checked against the volume index first; then, if the catalog holds the archived
 * file (same SHA-256), the copy's location is recorded; if the catalog does not know it (it was lost), the
 * archived file is restored into the catalog from the index's `file` fields and the member's re-read primary
 * header (keyword columns from the instrument description), as an ARCHIVED record whose one history entry says
 * `RESTORED_FROM_MEDIA`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { IngestError, toIngestError } from '../../../core/errors.js';
import type { CardJson, Header } from '../../../core/fits/header.js';
import type { FileRecord, HistoryEntry, Level } from '../../../core/lifecycle/record.js';
import { extractColumns } from '../../../core/normalize/columns.js';
import type { ArchivedFile, Catalog, ColumnValue } from '../../../core/ports/catalog.js';
import type { InstrumentDescription } from '../../../core/instruments/schema.js';
import { withFileForReading } from '../../../io/durable-fs.js';
import { checkMember, readMember } from './_member-read.js';
import type { IndexEntry, VolumeIndex } from './_volume-index.js';
import { MEDIA_TRANSPORT_NAME } from './write-volumes.js';
import { readVolumeHandle } from './read-volume.js';
import { addLocationTo, importArchivedInto } from '../../../core/ports/catalog-fallbacks.js';

/** Options of {@link indexVolumes}. */
export interface IndexVolumesOptions {
  catalog: Catalog;
  /** Descriptions whose keyword tables give the columns of restored files. @default [] */
  instruments?: readonly InstrumentDescription[];
  /** The clock (epoch ms). @default Date.now */
  now?: () => number;
  /** Who restores, in history entries. @default 'media-index' */
  actor?: string;
}

/** What {@link indexVolumes} did. */
export interface IndexVolumesReport {
  /** Locations recorded (one per member copy). */
  located: number;
  /** Archived files restored into the catalog (it did not know them). */
  restored: string[];
  /** Members without an archive id (not catalog objects). */
  skipped: number;
  failures: IngestError[];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The header and keyword columns of a restored file: from the member's re-read header, or from an index message. */
export interface RestoredHeader {
  header: CardJson[];
  columns: Record<string, ColumnValue>;
}

/** The header and columns of a re-read member (columns from the instrument's description, when given). */
function headerOf(entry: IndexEntry, header: Header, instruments: readonly InstrumentDescription[]): RestoredHeader {
  const instrument = text(entry.file?.['instrument']);
  const description = instrument === undefined ? undefined : instruments.find((d) => d.name.toUpperCase() === instrument.toUpperCase());
  return { header: header.toJSON(), columns: description ? extractColumns(description, header).columns : {} };
}

/** The archived file an index entry and its header describe (shared with the media index messages). */
export function rebuild(entry: IndexEntry, restored: RestoredHeader, volume: string, recordId: string, now: number): ArchivedFile {
  const f = entry.file ?? {};
  const instrument = text(f['instrument']);
  const night = text(f['night']);
  if (!instrument || !night) {
    throw new IngestError('MEDIA_BAD_INDEX', `member ${entry.member} (${entry.name}, serial ${entry.serial}): the index lacks the instrument or night needed to restore ${entry.archiveId}`, {
      context: { file: volume, offset: entry.offset, member: entry.member, serial: entry.serial },
    });
  }
  const file: ArchivedFile = {
    archiveId: entry.archiveId!,
    recordId,
    instrument,
    level: (typeof f['level'] === 'number' ? f['level'] : 0) as Level,
    parents: Array.isArray(f['parents']) ? f['parents'].filter((p): p is string => typeof p === 'string') : [],
    night,
    originalName: text(f['originalName']) ?? entry.name.split('/').pop()!,
    source: text(f['source']) ?? `${volume}#${entry.name}`,
    size: entry.size,
    sha256: entry.sha256,
    sourceSha256: text(f['sourceSha256']) ?? entry.sha256,
    hdus: entry.hdus ?? [],
    locations: [],
    columns: restored.columns,
    header: restored.header,
    archivedAt: typeof f['archivedAt'] === 'number' ? f['archivedAt'] : now,
  };
  for (const key of ['program', 'dateObs', 'imageType', 'releaseDate'] as const) {
    const value = text(f[key]);
    if (value !== undefined) file[key] = value;
  }
  return file;
}

/** The ARCHIVED record and its one history entry of a file restored from media (cause RESTORED_FROM_MEDIA). */
export function restoredRecord(file: ArchivedFile, now: number, actor: string, volume: string): { record: FileRecord; entry: HistoryEntry } {
  const record: FileRecord = {
    id: file.recordId,
    source: file.source,
    originalName: file.originalName,
    trigger: 'media',
    state: 'ARCHIVED',
    level: file.level,
    parents: file.parents,
    instrument: file.instrument,
    archiveId: file.archiveId,
    night: file.night,
    sourceSha256: file.sourceSha256,
    sha256: file.sha256,
    stagedSize: file.size,
    attempts: 0,
    warnings: [],
    metadata: { restoredFrom: volume },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const entry: HistoryEntry = { recordId: record.id, at: now, from: null, to: 'ARCHIVED', cause: 'RESTORED_FROM_MEDIA', actor, message: `rebuilt from ${volume}` };
  return { record, entry };
}

async function indexEntry(volume: string, index: VolumeIndex, entry: IndexEntry, header: Header | undefined, options: IndexVolumesOptions, report: IndexVolumesReport): Promise<void> {
  const { catalog } = options;
  const now = (options.now ?? Date.now)();
  const archiveId = entry.archiveId!;
  const medium = { volume: index.label, copy: index.copy, member: entry.member, offset: entry.offset, serial: entry.serial };
  const location = { uri: `${volume}#${entry.name}`, transport: MEDIA_TRANSPORT_NAME, verifiedAt: now, medium };
  const known = await catalog.getArchived(archiveId);
  if (known) {
    if (known.sha256 !== entry.sha256) {
      throw new IngestError('ARCHIVE_ID_CONFLICT', `member ${entry.member} (serial ${entry.serial}) holds other bytes than the catalog's ${archiveId}`, {
        context: { file: volume, offset: entry.offset, member: entry.member, serial: entry.serial, archiveId },
      });
    }
    await addLocationTo(catalog, archiveId, location);
    report.located++;
    return;
  }
  if (!header) throw new IngestError('MEDIA_BAD_INDEX', `member ${entry.member} (${entry.name}) is not FITS; it cannot be restored into the catalog`, { context: { file: volume, offset: entry.offset } });
  const file = rebuild(entry, headerOf(entry, header, options.instruments ?? []), volume, randomUUID(), now);
  file.locations = [location];
  const { record, entry: history } = restoredRecord(file, now, options.actor ?? 'media-index', volume);
  await importArchivedInto(catalog, record, history, file);
  report.restored.push(archiveId);
  report.located++;
}

/** Records (or restores) every catalog object of `paths` in the catalog. Bad volumes and members are failures. */
export async function indexVolumes(paths: readonly string[], options: IndexVolumesOptions): Promise<IndexVolumesReport> {
  const report: IndexVolumesReport = { located: 0, restored: [], skipped: 0, failures: [] };
  for (const path of paths) {
    try {
      await withFileForReading(path, async (handle) => {
        const { index } = await readVolumeHandle(handle, path);
        for (const entry of index.members) {
          if (entry.archiveId === undefined) {
            report.skipped++;
            continue;
          }
          try {
            const read = await readMember(handle, path, entry);
            const corrupt = checkMember(path, entry, read, { size: entry.size, sha256: entry.sha256, ...(entry.hdus ? { hdus: entry.hdus } : {}), from: 'index' });
            if (corrupt) throw corrupt;
            await indexEntry(path, index, entry, read.primary, options, report);
          } catch (error) {
            report.failures.push(toIngestError(error, { file: path, member: entry.member, serial: entry.serial }));
          }
        }
      });
    } catch (error) {
      report.failures.push(toIngestError(error, { file: path }));
    }
  }
  return report;
}
