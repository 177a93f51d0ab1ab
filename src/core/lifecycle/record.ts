/**
 * The per-file record: everything the state machine needs to decide what happens next. Catalogs persist it;
 * the runtime changes it only through {@link transition}.
 *
 * @module
 */
import type { ErrorKind, IngestErrorCode } from '../errors.js';
import type { StateName } from './states.js';

/** Processing level: raw (0), quick-look (1), reduced (2). */
export type Level = 0 | 1 | 2;

/** An error attached to a record, as data. */
export interface RecordError {
  /** An IngestError code, or an adapter-specific code for errors from outside fits-ingest. */
  code: IngestErrorCode | (string & {});
  kind: ErrorKind;
  message: string;
  /** Which step failed. */
  step?: string;
}

/** A warning never changes the state; it is attached to the record with a code. */
export interface RecordWarning {
  code: string;
  message: string;
  /** Keyword concerned, for header repairs. */
  keyword?: string;
}

/** One transition, as recorded in the history. */
export interface HistoryEntry {
  recordId: string;
  at: number;
  from: StateName | null;
  to: StateName;
  /** The event type that caused it (e.g. `FAILED`, `RETRY`, `REQUEUE`). */
  cause: string;
  /** Who caused it: `runtime`, `operator:<name>`, a trigger name… */
  actor: string;
  /** Error code for FAILED / INVALID / ABANDONED, warning code otherwise. */
  code?: string;
  message?: string;
}

/** The state of one file's ingestion. */
export interface FileRecord {
  /** Unique id of this record. */
  id: string;
  /** Where the file was found (absolute path or URI). */
  source: string;
  /** The file name as the instrument wrote it (kept queryable and restorable). */
  originalName: string;
  /** The trigger that announced it. */
  trigger: string;
  state: StateName;
  level: Level;
  /** Archive ids of the raw frames a product was made from (levels 1 and 2). */
  parents: string[];
  instrument?: string;
  archiveId?: string;
  /** Observation night (UT date, YYYY-MM-DD) the archive layout files it under. */
  night?: string;
  /** Size of the source file in bytes, when known. */
  size?: number;
  mtimeMs?: number;
  /** SHA-256 (hex) of the source file as read. */
  sourceSha256?: string;
  /** Path of the prepared (normalized) copy while it waits for transfer. */
  staged?: string;
  /** SHA-256 (hex) and size of the prepared copy: what every destination must hold. */
  sha256?: string;
  stagedSize?: number;
  /** Where the archived copy is, once TRANSFERRED. */
  location?: string;
  /** Number of failed attempts so far. */
  attempts: number;
  /** FAILED: when the next attempt is due (epoch ms). */
  nextAttemptAt?: number;
  /** FAILED: the state the next attempt resumes from. */
  resumeFrom?: StateName;
  /** The last error (FAILED, INVALID, ABANDONED). */
  error?: RecordError;
  warnings: RecordWarning[];
  /** DUPLICATE: the record id of the archived original. */
  duplicateOf?: string;
  /** SUPERSEDED: the record id of the replacement. */
  supersededBy?: string;
  /** Extra data from the trigger (e.g. STB volume/member for mail announcements). */
  metadata: Record<string, string | number | boolean>;
  createdAt: number;
  updatedAt: number;
  /** Incremented by each transition; catalogs use it for optimistic concurrency. */
  version: number;
}

/** What a trigger knows about a new file; the runtime turns it into a DETECTED record. */
export interface NewRecord {
  id: string;
  source: string;
  originalName: string;
  trigger: string;
  level?: Level;
  parents?: string[];
  instrument?: string;
  size?: number;
  mtimeMs?: number;
  metadata?: Record<string, string | number | boolean>;
}

/** A fresh DETECTED record. */
export function createRecord(input: NewRecord, now: number): FileRecord {
  const record: FileRecord = {
    id: input.id,
    source: input.source,
    originalName: input.originalName,
    trigger: input.trigger,
    state: 'DETECTED',
    level: input.level ?? 0,
    parents: input.parents ?? [],
    attempts: 0,
    warnings: [],
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  if (input.instrument !== undefined) record.instrument = input.instrument;
  if (input.size !== undefined) record.size = input.size;
  if (input.mtimeMs !== undefined) record.mtimeMs = input.mtimeMs;
  return record;
}

/** The history entry for a record's creation. */
export function detectedEntry(record: FileRecord, actor = record.trigger): HistoryEntry {
  return { recordId: record.id, at: record.createdAt, from: null, to: 'DETECTED', cause: 'DETECTED', actor };
}
