/**
 * The per-file state machine as one pure function: `transition(record, event, now) → { record, effects, entry }`.
 * It never reads the clock, the disk or a random source of its own; the runtime passes time in and carries the
 * returned effects out. Illegal moves throw ILLEGAL_TRANSITION, so a bug cannot silently skip a step.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { FileRecord, HistoryEntry, RecordError, RecordWarning } from './record.js';
import { backoffDelay } from './backoff.js';
import { NEXT_STEP, type StateName, type StepName } from './states.js';

export { backoffDelay, type BackoffPolicy } from './backoff.js';

/** Something that happened to a file. `actor` defaults to `runtime`. */
export type LifecycleEvent = { actor?: string } & (
  | { type: 'STABLE'; size: number; mtimeMs: number }
  | {
      type: 'PREPARED';
      instrument: string;
      archiveId: string;
      night: string;
      sourceSha256: string;
      staged: string;
      sha256: string;
      stagedSize: number;
      warnings?: RecordWarning[];
    }
  | { type: 'TRANSFER_STARTED' }
  | { type: 'TRANSFERRED'; location: string }
  | { type: 'ARCHIVED' }
  | { type: 'DUPLICATE'; of: string; message?: string }
  | { type: 'INVALID'; error: RecordError }
  | {
      type: 'FAILED';
      error: RecordError;
      /** Resume from an earlier state than the default (e.g. STABLE when a staged copy turned out damaged). */
      resumeFrom?: StateName;
    }
  | { type: 'RETRY' }
  | { type: 'REQUEUE' }
  | { type: 'SUPERSEDE'; by: string }
  /** An admin removed the bytes of this superseded version (it stays SUPERSEDED, with no location). */
  | { type: 'PRUNE'; message?: string }
  | { type: 'WARN'; warnings: RecordWarning[] }
  /** The proprietary period of an archived file ended: its data are public from now on (the state stays ARCHIVED). */
  | { type: 'RELEASE'; releaseDate: string }
  /** An admin moved the end of an archived file's proprietary period (YYYY-MM-DD); the state stays ARCHIVED. */
  | { type: 'EXTEND_PROPRIETARY'; until: string; message?: string }
);

/** Event type names. */
export type LifecycleEventType = LifecycleEvent['type'];

/** Work the runtime must do after a transition. Effects are data; the runtime interprets them. */
export type Effect =
  | { type: 'run'; step: StepName }
  | { type: 'schedule'; at: number }
  | { type: 'discard-staged'; path: string }
  | { type: 'emit'; event: 'archived' | 'invalid' | 'failed' | 'abandoned' | 'duplicate' | 'superseded' | 'requeued' };

/** Retry policy: exponential backoff with jitter, bounded attempts. */
export interface RetryPolicy {
  /**
   * Attempts before a file is ABANDONED.
   * @default 8
   */
  maxAttempts: number;
  /**
   * Delay before the first retry, in ms; doubles with each attempt.
   * @default 1000
   */
  baseDelayMs: number;
  /**
   * Longest delay between attempts, in ms.
   * @default 600000
   */
  maxDelayMs: number;
}

/** The default retry policy. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 600_000 };

/** Options for {@link transition}. */
export interface TransitionOptions {
  retry?: Partial<RetryPolicy>;
  /** A uniform random number in [0, 1) for jitter; injected so tests are deterministic. @default () => 0.5 */
  random?: () => number;
}

/** The result of a transition. */
export interface TransitionResult {
  record: FileRecord;
  effects: Effect[];
  /** The history entry to store; absent for WARN (warnings do not change state). */
  entry?: HistoryEntry;
}

/** Which events each state accepts (WARN is accepted everywhere). Exhaustive: a new state must be listed. */
export const ACCEPTS: Record<StateName, readonly LifecycleEventType[]> = {
  DETECTED: ['STABLE', 'INVALID', 'FAILED', 'DUPLICATE'],
  STABLE: ['PREPARED', 'INVALID', 'FAILED', 'DUPLICATE'],
  PREPARED: ['TRANSFER_STARTED', 'INVALID', 'FAILED'],
  TRANSFERRING: ['TRANSFERRED', 'INVALID', 'FAILED'],
  TRANSFERRED: ['ARCHIVED', 'INVALID', 'FAILED', 'DUPLICATE'],
  ARCHIVED: ['SUPERSEDE', 'RELEASE', 'EXTEND_PROPRIETARY'],
  INVALID: ['REQUEUE'],
  FAILED: ['RETRY', 'REQUEUE', 'INVALID'],
  ABANDONED: ['REQUEUE'],
  DUPLICATE: ['REQUEUE'],
  SUPERSEDED: ['PRUNE'],
};

/** The state a FAILED file resumes from: the state before the step that failed. */
function resumeState(state: StateName): StateName {
  if (state === 'TRANSFERRING') return 'PREPARED';
  if (state === 'FAILED') return 'DETECTED';
  return state;
}

/** The `run` effect of a state that has a step (see {@link NEXT_STEP}). */
function stepOf(state: StateName): Effect[] {
  const step = NEXT_STEP[state];
  return step === null ? [] : [{ type: 'run', step }];
}

/**
 * Applies an event to a record. Returns the new record (a copy; the input is not changed), the effects to carry
 * out, and the history entry to store.
 *
 * @throws IngestError ILLEGAL_TRANSITION when the record's state does not accept the event
 */
export function transition(
  record: FileRecord,
  event: LifecycleEvent,
  now: number,
  options: TransitionOptions = {},
): TransitionResult {
  const actor = event.actor ?? 'runtime';
  if (event.type === 'WARN') {
    // Warnings change the stored record (not its state), so the version moves like any other stored change.
    const warned = { ...record, warnings: [...record.warnings, ...event.warnings], updatedAt: now, version: record.version + 1 };
    return { record: warned, effects: [] };
  }
  if (!ACCEPTS[record.state].includes(event.type)) {
    throw new IngestError('ILLEGAL_TRANSITION', `a ${record.state} file cannot take the event ${event.type}`, {
      context: { file: record.source, recordId: record.id, state: record.state, event: event.type },
    });
  }
  const next: FileRecord = { ...record, updatedAt: now, version: record.version + 1 };
  const effects: Effect[] = [];
  let code: string | undefined;
  let message: string | undefined;
  const clearRetry = (): void => {
    delete next.nextAttemptAt;
    delete next.resumeFrom;
  };
  /** A record leaving the path to the archive no longer needs its staged copy. */
  const discardStaged = (): void => {
    if (record.staged) effects.push({ type: 'discard-staged', path: record.staged });
    delete next.staged;
  };

  switch (event.type) {
    case 'STABLE':
      next.state = 'STABLE';
      next.size = event.size;
      next.mtimeMs = event.mtimeMs;
      break;
    case 'PREPARED':
      next.state = 'PREPARED';
      next.instrument = event.instrument;
      next.archiveId = event.archiveId;
      next.night = event.night;
      next.sourceSha256 = event.sourceSha256;
      next.staged = event.staged;
      next.sha256 = event.sha256;
      next.stagedSize = event.stagedSize;
      if (event.warnings?.length) next.warnings = [...record.warnings, ...event.warnings];
      break;
    case 'TRANSFER_STARTED':
      next.state = 'TRANSFERRING';
      break;
    case 'TRANSFERRED':
      next.state = 'TRANSFERRED';
      next.location = event.location;
      break;
    case 'ARCHIVED':
      next.state = 'ARCHIVED';
      delete next.error;
      discardStaged();
      effects.push({ type: 'emit', event: 'archived' });
      break;
    case 'DUPLICATE':
      next.state = 'DUPLICATE';
      next.duplicateOf = event.of;
      code = 'DUPLICATE';
      message = event.message ?? `identical to ${event.of}`;
      discardStaged();
      effects.push({ type: 'emit', event: 'duplicate' });
      break;
    case 'INVALID':
      next.state = 'INVALID';
      next.error = event.error;
      clearRetry();
      code = event.error.code;
      message = event.error.message;
      discardStaged();
      effects.push({ type: 'emit', event: 'invalid' });
      break;
    case 'FAILED': {
      const policy = { ...DEFAULT_RETRY, ...options.retry };
      next.attempts = record.attempts + 1;
      next.error = event.error;
      code = event.error.code;
      message = event.error.message;
      if (next.attempts >= policy.maxAttempts) {
        next.state = 'ABANDONED';
        clearRetry();
        discardStaged();
        effects.push({ type: 'emit', event: 'abandoned' });
      } else {
        next.state = 'FAILED';
        next.resumeFrom = event.resumeFrom ?? resumeState(record.state);
        next.nextAttemptAt = now + backoffDelay(next.attempts, policy, options.random ?? (() => 0.5));
        effects.push({ type: 'schedule', at: next.nextAttemptAt }, { type: 'emit', event: 'failed' });
      }
      break;
    }
    case 'RETRY':
      next.state = record.resumeFrom ?? 'DETECTED';
      clearRetry();
      break;
    case 'REQUEUE':
      // An operator's decision: start over from the beginning with a clean slate.
      next.state = 'DETECTED';
      next.attempts = 0;
      clearRetry();
      delete next.error;
      delete next.duplicateOf;
      discardStaged();
      effects.push({ type: 'emit', event: 'requeued' });
      break;
    case 'SUPERSEDE':
      next.state = 'SUPERSEDED';
      next.supersededBy = event.by;
      message = `replaced by ${event.by}`;
      effects.push({ type: 'emit', event: 'superseded' });
      break;
    case 'RELEASE':
      next.metadata = { ...record.metadata, released: event.releaseDate };
      message = `the proprietary period ended on ${event.releaseDate}`;
      break;
    case 'EXTEND_PROPRIETARY': {
      // The file is proprietary again until the new date (a release already recorded no longer holds).
      const { released: _released, ...rest } = record.metadata;
      next.metadata = { ...rest, releaseDate: event.until };
      message = event.message ? `proprietary until ${event.until}: ${event.message}` : `proprietary until ${event.until}`;
      break;
    }
    case 'PRUNE':
      next.state = 'SUPERSEDED';
      delete next.location;
      next.metadata = { ...record.metadata, pruned: true };
      message = event.message ?? 'the bytes of this superseded version were removed';
      break;
  }
  effects.unshift(...stepOf(next.state));
  const entry: HistoryEntry = { recordId: record.id, at: now, from: record.state, to: next.state, cause: event.type, actor };
  if (code !== undefined) entry.code = code;
  if (message !== undefined) entry.message = message;
  return { record: next, effects, entry };
}
