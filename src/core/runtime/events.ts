/**
 * The typed events an ingestor emits.
 *
 * @module
 */
import type { IngestError } from '../errors.js';
import type { FileRecord, HistoryEntry, RecordWarning } from '../lifecycle/record.js';
import type { ArchivedFile } from '../ports/catalog.js';
import type { TriggerAlert } from '../ports/trigger.js';

/** Event name → listener. Subscribe with `ingestor.on('archived', (record, file) => …)`. */
export interface IngestorEvents {
  /** A trigger announced a new file and its record was created. */
  detected: (record: FileRecord) => void;
  /** Any state change, with the history entry that records it. */
  state: (record: FileRecord, entry: HistoryEntry) => void;
  /** Warnings were attached to a record (they never change its state). */
  warning: (record: FileRecord, warnings: RecordWarning[]) => void;
  /** The catalog committed the file: it is in the archive. */
  archived: (record: FileRecord, file: ArchivedFile) => void;
  /** The file is bad and quarantined with `record.error.code`. */
  invalid: (record: FileRecord) => void;
  /** A transient failure; the next attempt is at `record.nextAttemptAt`. */
  failed: (record: FileRecord) => void;
  /** Gave up after the maximum number of attempts. */
  abandoned: (record: FileRecord) => void;
  /** Identical to a file already archived (`record.duplicateOf`). */
  duplicate: (record: FileRecord) => void;
  /** An operator requeued the record (from INVALID, ABANDONED, DUPLICATE or FAILED): it starts over. */
  requeued: (record: FileRecord) => void;
  /** An archived file was replaced by a reingest. */
  superseded: (record: FileRecord) => void;
  /** A trigger reported something that is not a file (a stale heartbeat, a rejected announcement…). */
  alert: (alert: TriggerAlert) => void;
  /**
   * The engine stopped on its own: the catalog could not be written for `retry.maxAttempts` tries in a row (a full
   * or read-only disk…). Pending {@link Ingestor.settled} calls reject with this ENGINE_HALTED error (its `cause`
   * is the catalog's error, e.g. CATALOG_FULL); unfinished files resume at the next start.
   */
  halted: (error: IngestError) => void;
  /** An unexpected error (a bug, or a catalog failure); the file concerned is retried. */
  error: (error: IngestError, record?: FileRecord) => void;
}
