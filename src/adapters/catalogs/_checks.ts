/**
 * Checks every catalog makes before it writes, so that a bad call fails before anything is stored and every
 * adapter fails the same way. Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { STATES } from '../../core/lifecycle/states.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import { checkColumns, type KeywordTables } from './_columns.js';

function bad(detail: string, record: FileRecord, field: string): IngestError {
  return new IngestError('INVALID_OPTIONS', detail, { context: { file: record.source, recordId: record.id, field } });
}

/** A record and its history entry belong together and name a known state. */
export function checkRecord(record: FileRecord, entry: HistoryEntry | undefined): void {
  if (!STATES.includes(record.state)) throw bad(`unknown state "${String(record.state)}"`, record, 'state');
  if (!Number.isSafeInteger(record.version) || record.version < 1) {
    throw bad(`version must be a positive integer, got ${record.version}`, record, 'version');
  }
  if (entry && entry.recordId !== record.id) {
    throw bad(`the history entry is for record ${entry.recordId}, not ${record.id}`, record, 'entry.recordId');
  }
  if (entry && entry.to !== record.state) {
    throw bad(`the history entry goes to ${entry.to} but the record is ${record.state}`, record, 'entry.to');
  }
}

/**
 * The commit point's preconditions: an ARCHIVED record, the file is its own, the superseded record (if any) is
 * SUPERSEDED and another record, and the file's keyword columns fit the instrument's table.
 */
export function checkCommit(
  record: FileRecord,
  entry: HistoryEntry,
  file: ArchivedFile,
  supersedes: { record: FileRecord; entry: HistoryEntry } | undefined,
  tables: KeywordTables,
): void {
  checkRecord(record, entry);
  if (record.state !== 'ARCHIVED') {
    throw new IngestError('ILLEGAL_TRANSITION', `commitArchived needs an ARCHIVED record, got ${record.state}`, {
      context: { file: record.source, recordId: record.id, state: record.state },
    });
  }
  if (file.recordId !== record.id) throw bad(`the archived file belongs to record ${file.recordId}`, record, 'file.recordId');
  if (supersedes) {
    checkRecord(supersedes.record, supersedes.entry);
    if (supersedes.record.state !== 'SUPERSEDED') {
      throw new IngestError('ILLEGAL_TRANSITION', `the superseded record must be SUPERSEDED, got ${supersedes.record.state}`, {
        context: { file: supersedes.record.source, recordId: supersedes.record.id, state: supersedes.record.state },
      });
    }
    if (supersedes.record.id === record.id) throw bad('a record cannot supersede itself', record, 'supersedes.record.id');
  }
  checkColumns(file, tables);
}

/** The preconditions of importArchived: a first ARCHIVED record that owns the file, and a creation entry. */
export function checkImport(record: FileRecord, entry: HistoryEntry, file: ArchivedFile, tables: KeywordTables): void {
  checkRecord(record, entry);
  if (record.state !== 'ARCHIVED' || entry.from !== null || record.version !== 1) {
    throw new IngestError('ILLEGAL_TRANSITION', `importArchived needs a new ARCHIVED record (version 1, entry from null), got ${record.state} v${record.version}`, {
      context: { file: record.source, recordId: record.id, state: record.state },
    });
  }
  if (file.recordId !== record.id) throw bad(`the archived file belongs to record ${file.recordId}`, record, 'file.recordId');
  checkColumns(file, tables);
}

/** CONFLICT: a record with this id exists. */
export function recordIdTaken(record: FileRecord): IngestError {
  return new IngestError('CONFLICT', `a record with id ${record.id} already exists`, { context: { recordId: record.id } });
}

/** CONFLICT: the stored version is not the one the update started from. */
export function versionConflict(record: FileRecord, stored: number): IngestError {
  return new IngestError(
    'CONFLICT',
    `record ${record.id} is at version ${stored}, the update expected ${record.version - 1} (someone else changed it first)`,
    { context: { file: record.source, recordId: record.id, version: record.version } },
  );
}

/** CONFLICT: another active record holds the source. */
export function activeSourceConflict(record: FileRecord): IngestError {
  return new IngestError('CONFLICT', `another active record already exists for ${record.source}`, {
    context: { file: record.source, recordId: record.id, state: record.state },
    hint: 'a source has one active record at a time; finish or abandon the other one first',
  });
}

/** NOT_FOUND for a record id. */
export function recordNotFound(id: string): IngestError {
  return new IngestError('NOT_FOUND', `no record with id ${id}`, { context: { recordId: id } });
}

/** NOT_FOUND for an archive id. */
export function archivedNotFound(archiveId: string): IngestError {
  return new IngestError('NOT_FOUND', `no archived file ${archiveId}`, { context: { archiveId } });
}

/** ARCHIVE_ID_CONFLICT: a current archived file already holds the id and the commit supersedes nothing (or another). */
export function archiveIdTaken(file: ArchivedFile, holder: string): IngestError {
  return new IngestError(
    'ARCHIVE_ID_CONFLICT',
    `archive id ${file.archiveId} is already held by record ${holder}; commit with supersedes to replace it`,
    { context: { file: file.originalName, archiveId: file.archiveId, recordId: file.recordId } },
  );
}

/** The query limit as a count: default 1000, never negative. */
export function limitOf(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (!Number.isInteger(limit)) {
    throw new IngestError('INVALID_OPTIONS', `limit must be an integer, got ${limit}`, { context: { field: 'limit' } });
  }
  return Math.max(0, limit);
}
