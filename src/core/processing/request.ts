/**
 * A processing request and its pure state machine: `QUEUED → RUNNING(area) → DONE | FAILED | CANCELLED`, with a
 * restart edge `RUNNING → QUEUED` (the scheduler died mid-job; the job reruns) and a cache edge `QUEUED → DONE`
 * (the same inputs, calibration set version and processor version already ran). Every move appends to the
 * request's own history, as a file's record does.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { CalibrationChoice } from './calibration-set.js';

/** Where a request is. */
export type RequestState = 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELLED';

/** Final states: nothing moves a request out of them. */
export const FINAL_REQUEST_STATES: readonly RequestState[] = ['DONE', 'FAILED', 'CANCELLED'];

/** One raw frame a request processes. */
export interface RequestInput {
  archiveId: string;
  sha256: string;
  /** Observation time (epoch ms) the calibration is resolved for. */
  observedAt: number;
}

/** One move of a request. */
export interface RequestHistoryEntry {
  at: number;
  from: RequestState | null;
  to: RequestState;
  cause: string;
  actor: string;
  area?: string;
  message?: string;
}

/** A reprocessing request. */
export interface ProcessingRequest {
  id: string;
  /** Who asked (a user name, a token's subject, `recertification`). */
  requester: string;
  /** Higher runs first; ties run oldest first. */
  priority: number;
  instrument: string;
  /** Calibration kind the processor needs (e.g. `imaging`). */
  kind: string;
  inputs: RequestInput[];
  /** What was asked: the certified set per observation time, or an explicit version. */
  calibration: 'latest' | number;
  processor: { name: string; version: string };
  state: RequestState;
  /** RUNNING: the processing area. */
  area?: string;
  /** How many times it started (a restart after a crash starts it again). */
  attempts: number;
  /** The set chosen (set when it starts, or when it is answered from the cache). */
  choice?: CalibrationChoice;
  cacheKey?: string;
  /** DONE from the result cache without running. */
  cached?: boolean;
  /** Archive ids of the products (DONE). */
  products: string[];
  /** The pipeline's stdout and stderr of the last run. */
  log: string;
  error?: { code: string; message: string };
  /** Why it exists, e.g. `recertification of KCWI/imaging/v1`. */
  reason?: string;
  /** Groups the requests of one submission (`--program K123`). */
  batch?: string;
  /** Its batch is throttled bulk reprocessing: it starts only in its batch's turn and while live ingestion is idle. */
  throttled?: boolean;
  /** What the pipeline is asked for (a processing rule's mode); absent for a plain reprocessing request. */
  mode?: 'quicklook' | 'masters' | 'full';
  /** The processing rule that made the request (quick-look on arrival, night close). */
  rule?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  updatedAt: number;
  /** +1 per move; stores use it for optimistic concurrency. */
  version: number;
  history: RequestHistoryEntry[];
}

/** What can happen to a request. */
export type RequestEvent =
  | { type: 'START'; area: string; choice: CalibrationChoice; cacheKey: string }
  | { type: 'CACHED'; choice: CalibrationChoice; cacheKey: string; products: string[] }
  | { type: 'SUCCEED'; products: string[]; log: string }
  | { type: 'FAIL'; code: string; message: string; log: string }
  | { type: 'CANCEL'; actor: string; log?: string }
  | { type: 'RESTART'; message: string };

const TARGET: Record<RequestEvent['type'], { from: readonly RequestState[]; to: RequestState }> = {
  START: { from: ['QUEUED'], to: 'RUNNING' },
  CACHED: { from: ['QUEUED'], to: 'DONE' },
  SUCCEED: { from: ['RUNNING'], to: 'DONE' },
  FAIL: { from: ['QUEUED', 'RUNNING'], to: 'FAILED' },
  CANCEL: { from: ['QUEUED', 'RUNNING'], to: 'CANCELLED' },
  RESTART: { from: ['RUNNING'], to: 'QUEUED' },
};

/** Applies `event` at `now`; throws ILLEGAL_TRANSITION for a move the machine does not allow. */
export function transitionRequest(request: ProcessingRequest, event: RequestEvent, now: number, actor = 'scheduler'): ProcessingRequest {
  const target = TARGET[event.type];
  if (!target.from.includes(request.state)) {
    throw new IngestError('ILLEGAL_TRANSITION', `request ${request.id} is ${request.state}; ${event.type} needs ${target.from.join(' or ')}`, {
      context: { request: request.id },
      hint: FINAL_REQUEST_STATES.includes(request.state) ? 'the request is finished; submit a new one' : 'retry once the request has moved on',
    });
  }
  const next: ProcessingRequest = { ...request, state: target.to, updatedAt: now, version: request.version + 1 };
  const entry: RequestHistoryEntry = { at: now, from: request.state, to: target.to, cause: event.type, actor };
  switch (event.type) {
    case 'START':
      Object.assign(next, { area: event.area, choice: event.choice, cacheKey: event.cacheKey, startedAt: now, attempts: request.attempts + 1, log: '' });
      entry.area = event.area;
      entry.message = `${event.choice.setId} (${event.choice.reason})`;
      break;
    case 'CACHED':
      Object.assign(next, { choice: event.choice, cacheKey: event.cacheKey, products: event.products, cached: true, finishedAt: now });
      entry.message = `answered from the result cache: ${event.products.join(', ')}`;
      break;
    case 'SUCCEED':
      Object.assign(next, { products: event.products, log: event.log, finishedAt: now });
      entry.message = `${event.products.length} product(s)`;
      break;
    case 'FAIL':
      Object.assign(next, { error: { code: event.code, message: event.message }, log: event.log, finishedAt: now });
      entry.message = event.message;
      break;
    case 'CANCEL':
      Object.assign(next, { finishedAt: now, ...(event.log !== undefined ? { log: event.log } : {}) });
      entry.actor = event.actor;
      break;
    case 'RESTART':
      entry.message = event.message;
      break;
  }
  if (request.area !== undefined && target.to !== 'RUNNING') {
    entry.area ??= request.area;
    delete next.area;
  }
  next.history = [...request.history, entry];
  return next;
}

/** A fresh QUEUED request with its first history entry. */
export function createRequest(
  fields: Omit<ProcessingRequest, 'state' | 'attempts' | 'products' | 'log' | 'createdAt' | 'updatedAt' | 'version' | 'history'>,
  now: number,
): ProcessingRequest {
  return {
    ...fields,
    state: 'QUEUED',
    attempts: 0,
    products: [],
    log: '',
    createdAt: now,
    updatedAt: now,
    version: 1,
    history: [{ at: now, from: null, to: 'QUEUED', cause: 'SUBMIT', actor: fields.requester, ...(fields.reason ? { message: fields.reason } : {}) }],
  };
}
