/**
 * Objects ↔ SQL rows (SQLite and PostgreSQL): FileRecord and ArchivedFile fields to columns (JSON for arrays and objects, NULL for an
 * absent optional field), history entries, and the header codec that keeps bigint values and cards without value.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import type { CardJson } from '../../core/fits/header.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import type { ArchivedFile, FileLocation } from '../../core/ports/catalog.js';

type Codec = 'plain' | 'json' | 'header';
type Row = Record<string, unknown>;

/** [field, column, codec, required] for every FileRecord field. */
const RECORD_COLUMNS: readonly (readonly [keyof FileRecord, string, Codec, boolean])[] = [
  ['id', 'id', 'plain', true],
  ['source', 'source', 'plain', true],
  ['originalName', 'original_name', 'plain', true],
  ['trigger', 'trigger_name', 'plain', true],
  ['state', 'state', 'plain', true],
  ['level', 'level', 'plain', true],
  ['parents', 'parents', 'json', true],
  ['instrument', 'instrument', 'plain', false],
  ['archiveId', 'archive_id', 'plain', false],
  ['night', 'night', 'plain', false],
  ['size', 'size', 'plain', false],
  ['mtimeMs', 'mtime_ms', 'plain', false],
  ['sourceSha256', 'source_sha256', 'plain', false],
  ['staged', 'staged', 'plain', false],
  ['sha256', 'sha256', 'plain', false],
  ['stagedSize', 'staged_size', 'plain', false],
  ['location', 'location', 'plain', false],
  ['attempts', 'attempts', 'plain', true],
  ['nextAttemptAt', 'next_attempt_at', 'plain', false],
  ['resumeFrom', 'resume_from', 'plain', false],
  ['error', 'error', 'json', false],
  ['warnings', 'warnings', 'json', true],
  ['duplicateOf', 'duplicate_of', 'plain', false],
  ['supersededBy', 'superseded_by', 'plain', false],
  ['metadata', 'metadata', 'json', true],
  ['createdAt', 'created_at', 'plain', true],
  ['updatedAt', 'updated_at', 'plain', true],
  ['version', 'version', 'plain', true],
];

/** ArchivedFile fields kept in archived_files (locations live in archived_locations). */
const ARCHIVED_COLUMNS: readonly (readonly [keyof ArchivedFile, string, Codec, boolean])[] = [
  ['archiveId', 'archive_id', 'plain', true],
  ['recordId', 'record_id', 'plain', true],
  ['instrument', 'instrument', 'plain', true],
  ['level', 'level', 'plain', true],
  ['parents', 'parents', 'json', true],
  ['night', 'night', 'plain', true],
  ['originalName', 'original_name', 'plain', true],
  ['source', 'source', 'plain', true],
  ['size', 'size', 'plain', true],
  ['sha256', 'sha256', 'plain', true],
  ['sourceSha256', 'source_sha256', 'plain', true],
  ['hdus', 'hdus', 'json', true],
  ['columns', 'column_values', 'json', true],
  ['header', 'header', 'header', true],
  ['program', 'program', 'plain', false],
  ['dateObs', 'date_obs', 'plain', false],
  ['imageType', 'image_type', 'plain', false],
  ['releaseDate', 'release_date', 'plain', false],
  ['archivedAt', 'archived_at', 'plain', true],
  ['provenance', 'provenance', 'json', false],
];

/** A header card as stored: `v` absent for cards without a value, bigint as `{ "$bigint": "…" }`. */
interface StoredCard {
  k: string;
  v?: unknown;
  c: string;
}

function encodeHeader(cards: readonly CardJson[]): string {
  const stored = cards.map((card): StoredCard => {
    const out: StoredCard = { k: card.keyword, c: card.comment };
    if (card.value !== undefined) out.v = typeof card.value === 'bigint' ? { $bigint: card.value.toString() } : card.value;
    return out;
  });
  return JSON.stringify(stored);
}

function decodeHeader(text: string): CardJson[] {
  return (JSON.parse(text) as StoredCard[]).map((card) => {
    const v = card.v as CardJson['value'] | { $bigint: string };
    const value = v !== null && typeof v === 'object' && '$bigint' in v ? BigInt(v.$bigint) : v;
    return { keyword: card.k, value, comment: card.c };
  });
}

function encode(value: unknown, codec: Codec): unknown {
  if (value === undefined || value === null) return null;
  if (codec === 'json') return JSON.stringify(value);
  if (codec === 'header') return encodeHeader(value as CardJson[]);
  return value;
}

function decode(value: unknown, codec: Codec): unknown {
  if (codec === 'json') return JSON.parse(value as string);
  if (codec === 'header') return decodeHeader(value as string);
  return value;
}

function toRow<T>(object: T, columns: readonly (readonly [keyof T, string, Codec, boolean])[]): Row {
  return Object.fromEntries(columns.map(([field, column, codec]) => [column, encode(object[field], codec)]));
}

function fromRow<T>(row: Row, columns: readonly (readonly [keyof T, string, Codec, boolean])[]): T {
  const out: Partial<T> = {};
  for (const [field, column, codec, required] of columns) {
    const value = row[column];
    if (value === null || value === undefined) {
      if (required) throw new Error(`column ${column} is NULL`);
      continue;
    }
    out[field] = decode(value, codec) as T[keyof T];
  }
  return out as T;
}

/** Column names of records, in a stable order. */
export const recordColumnNames = RECORD_COLUMNS.map(([, column]) => column);
/** Column names of archived_files written from an ArchivedFile. */
export const archivedColumnNames = ARCHIVED_COLUMNS.map(([, column]) => column);

/** A record as named parameters (`@column`). */
export const recordToRow = (record: FileRecord): Row => toRow(record, RECORD_COLUMNS);
/** A records row as a FileRecord (absent optional fields are left out, not `undefined`). */
export const rowToRecord = (row: Row): FileRecord => fromRow<FileRecord>(row, RECORD_COLUMNS);
/** An archived file as named parameters. */
export const archivedToRow = (file: ArchivedFile): Row => toRow(file, ARCHIVED_COLUMNS);

/** An archived_files row and its locations as an ArchivedFile. */
export function rowToArchived(row: Row, locations: FileLocation[]): ArchivedFile {
  return { ...fromRow<ArchivedFile>(row, ARCHIVED_COLUMNS), locations };
}

/** A location row (`medium` as JSON or NULL) as a FileLocation. */
export function rowToLocation(row: FileLocation & { medium: string | null }): FileLocation {
  const { medium, ...location } = row;
  return medium === null ? location : { ...location, medium: JSON.parse(medium) as FileLocation['medium'] };
}

/** A history entry as named parameters. */
export function entryToRow(entry: HistoryEntry): Row {
  return {
    record_id: entry.recordId,
    at: entry.at,
    from_state: entry.from,
    to_state: entry.to,
    cause: entry.cause,
    actor: entry.actor,
    code: entry.code ?? null,
    message: entry.message ?? null,
  };
}

/** A history row as an entry. */
export function rowToEntry(row: Row): HistoryEntry {
  const entry: HistoryEntry = {
    recordId: row['record_id'] as string,
    at: row['at'] as number,
    from: row['from_state'] as HistoryEntry['from'],
    to: row['to_state'] as HistoryEntry['to'],
    cause: row['cause'] as string,
    actor: row['actor'] as string,
  };
  if (row['code'] !== null) entry.code = row['code'] as string;
  if (row['message'] !== null) entry.message = row['message'] as string;
  return entry;
}
