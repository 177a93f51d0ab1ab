/**
 * Quick-look on arrival and the close of a night, as data: where each frame a processing rule took is (waiting for
 * its night's masters, queued, done, failed), what a night's close has done so far, and the latency figures
 * (file complete → ARCHIVED → quick-look product ARCHIVED) computed from them. Pure.
 *
 * @module
 */

/** Where a frame taken by an on-arrival processing rule is. */
export type FrameState = 'WAITING' | 'QUEUED' | 'DONE' | 'FAILED';

/** One raw frame under one on-arrival rule (a frame matching two rules has two). */
export interface RuleFrame {
  archiveId: string;
  /** The processing rule's name. */
  rule: string;
  instrument: string;
  /** YYYY-MM-DD, the catalog's night. */
  night: string;
  state: FrameState;
  /** WAITING: the calibration types whose night masters do not exist yet. */
  waitingFor: string[];
  /** Set once a frame that waited is queued: what it waited for, and since when (its ARCHIVED time). */
  waitedFor?: string[];
  /** The file was complete (stable, every HDU whole) at the source: the readout's end as the archive sees it. */
  completeAt: number;
  /** The raw frame was ARCHIVED. */
  archivedAt: number;
  /** The request made for it (set before the request is stored, so a crash in between cannot double it). */
  requestId?: string;
  /** DONE: the first product's archive id, and when it was ARCHIVED. */
  product?: string;
  productArchivedAt?: number;
  /** When the late alert was raised (once per frame). */
  lateAlertedAt?: number;
  error?: { code: string; message: string };
  updatedAt: number;
}

/** Steps of a night's close: masters rebuilt, the level-2 batch submitted, then released. */
export type NightState = 'OPEN' | 'MASTERS' | 'BATCH' | 'CLOSED';

/** What is known of one instrument's night. */
export interface NightRecord {
  instrument: string;
  night: string;
  state: NightState;
  /** Calibration image type → the calibration set holding its masters for the night. */
  masters: Record<string, string>;
  mastersAt?: number;
  /** The batch id the night's level-2 requests share (fixed before any is stored). */
  batch?: string;
  /** CLOSED: the requests and products of the batch. */
  requests?: number;
  products?: string[];
  failed?: number;
  closedBy?: string;
  closeStartedAt?: number;
  closedAt?: number;
}

/** Percentiles of a list of durations (ms); undefined when empty. */
export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile `q` (0–1] of ascending `sorted`. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** p50, p99 and max of `values`, or undefined for none. */
export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1)! };
}

/** The latency readout of `status` and `GET /v1/quicklook`. */
export interface QuickLookSummary {
  /** Frames by state. */
  states: Record<FrameState, number>;
  /** File complete → raw frame ARCHIVED (ms). */
  archived?: Spread;
  /** File complete → quick-look product ARCHIVED (ms). */
  quicklook?: Spread;
  /** Raw ARCHIVED → quick-look ARCHIVED (ms): what processing adds. */
  processing?: Spread;
  /** The bound beyond which a quick-look is late (ms), and how many are. */
  lateAfterMs: number;
  late: number;
  /** The frames still waiting for masters, oldest first (at most 20). */
  waiting: Pick<RuleFrame, 'archiveId' | 'rule' | 'night' | 'waitingFor' | 'archivedAt'>[];
}

/** Whether `frame`'s quick-look is late at `now` (a finished one: whether it was). */
export function isLate(frame: RuleFrame, lateAfterMs: number, now: number): boolean {
  if (frame.state === 'FAILED') return false;
  const end = frame.productArchivedAt ?? now;
  return end - frame.completeAt > lateAfterMs;
}

/** Sums up frames for the latency readout. */
export function summarize(frames: readonly RuleFrame[], lateAfterMs: number, now: number): QuickLookSummary {
  const states: Record<FrameState, number> = { WAITING: 0, QUEUED: 0, DONE: 0, FAILED: 0 };
  for (const f of frames) states[f.state]++;
  const done = frames.filter((f) => f.state === 'DONE' && f.productArchivedAt !== undefined);
  const archived = spread(frames.map((f) => f.archivedAt - f.completeAt));
  const quicklook = spread(done.map((f) => f.productArchivedAt! - f.completeAt));
  const processing = spread(done.map((f) => f.productArchivedAt! - f.archivedAt));
  return {
    states,
    ...(archived ? { archived } : {}),
    ...(quicklook ? { quicklook } : {}),
    ...(processing ? { processing } : {}),
    lateAfterMs,
    late: frames.filter((f) => isLate(f, lateAfterMs, now)).length,
    waiting: frames
      .filter((f) => f.state === 'WAITING')
      .sort((a, b) => a.archivedAt - b.archivedAt)
      .slice(0, 20)
      .map(({ archiveId, rule, night, waitingFor, archivedAt }) => ({ archiveId, rule, night, waitingFor, archivedAt })),
  };
}
