/**
 * The scrub: re-verifies every copy of every archived file — archive copies, other transports' copies on disks
 * this machine mounts, media volume members — against the catalog's size and SHA-256 and the file's own FITS
 * DATASUM/CHECKSUM, one read per copy through the byte pump. A persistent cursor (restart-safe: a new run
 * continues after the last archive id checked), a rate cap (token bucket on the Clock port), pauses while
 * ingestion is busy, reconciliation of the storage with the catalog, repair, and a coverage figure. See
 * docs/scrub.md.
 *
 * @module
 */
import { IngestError } from '../core/errors.js';
import type { Catalog } from '../core/ports/catalog.js';
import type { Clock } from '../core/ports/clock.js';
import type { Notifier } from '../core/ports/notifier.js';
import { systemClock } from '../io/system-clock.js';
import { archivedAfter, versionsOf } from './_catalog-pages.js';
import { copiesOf } from './_copies.js';
import { memoryCursor, type CursorStore, type ScrubCursor } from './_cursor.js';
import { recordUncataloged, scrubAlerts } from './_events.js';
import { checkFile, type CheckContext, type ScrubProblem } from './_check-file.js';
import { parseRate, tokenBucket, whileBusy } from './_rate.js';
import { reconcile, type ReconcileHooks } from './_reconcile.js';

export type { ScrubProblem } from './_check-file.js';

/** Options of {@link scrub}. */
export interface ScrubOptions {
  catalog: Catalog;
  /** The archive storage root (the filesystem transport's root): reconciled with the catalog when given. */
  archive?: string;
  /** Read at most this many bytes per second (`200MB/s`, `50MiB/s` or a number). @default unlimited */
  rate?: number | string;
  /** Stop after this many milliseconds (between copies); the cursor keeps the place. @default no limit */
  forMs?: number;
  /** Rebuild corrupt and missing copies from good ones. @default false */
  repair?: boolean;
  /** Where the cursor is kept between runs (see `fileCursor`). @default in memory: every run starts a pass */
  cursor?: CursorStore;
  /** @default systemClock */
  clock?: Clock;
  /** While this says true (ingestion has work), the scrub waits before each chunk. E.g. `() => ingestor.load().running > 0`. */
  isBusy?: () => boolean;
  /** How often `isBusy` is asked again while busy. @default 250 */
  busyPollMs?: number;
  /** Coverage target: every copy verified within this many days. @default 30 */
  coverageDays?: number;
  /** Go on pass after pass until `signal` aborts (the background scrub of `watch`/`serve`). @default false: to the end of the pass */
  continuous?: boolean;
  /** Continuous mode: idle between passes. @default 60000 */
  passIntervalMs?: number;
  /** Operator alerts for problems (throttled, one per kind per `alertThrottleMs`). @default none */
  notifiers?: readonly Notifier[];
  alertTo?: readonly string[];
  /** @default 1 hour */
  alertThrottleMs?: number;
  /** Who the history entries name. @default 'scrub' */
  actor?: string;
  /** Called for each problem as it is found (repairs are reported in the final report). */
  onProblem?(problem: ScrubProblem): void;
  /** Called after each archived file. */
  onProgress?(progress: ScrubProgress): void;
  signal?: AbortSignal;
  /** Test hooks for the reconciliation's bracketing. */
  reconcileHooks?: ReconcileHooks;
}

/** Where a running scrub is. */
export interface ScrubProgress {
  pass: number;
  /** Last archive id checked. */
  after: string;
  files: number;
  copies: number;
  bytes: number;
  problems: number;
}

/** Coverage of the whole archive after the run: how old the oldest verification is. */
export interface ScrubCoverage {
  /** Local copies in the catalog (files and media members). */
  copies: number;
  bytes: number;
  /** The oldest `verifiedAt` of any local copy (epoch ms), and which copy; null without copies. */
  oldestVerifiedAt: number | null;
  oldestUri: string | null;
  /** Copies last verified longer ago than the target. */
  stale: number;
  targetDays: number;
  /** Bytes per second that re-reading every copy within the target takes. */
  neededRate: number;
}

/** What a scrub run did. */
export interface ScrubReport {
  /** Problems still there at the end (not repaired). */
  problems: ScrubProblem[];
  /** Problems `--repair` fixed. */
  repaired: ScrubProblem[];
  /** Archive ids with no good copy left. */
  lost: string[];
  files: number;
  copies: number;
  verified: number;
  /** Copies at URLs this machine cannot read (e.g. another site's archive), not checked. */
  remote: number;
  /** Bytes read (verifications and repairs). */
  bytes: number;
  elapsedMs: number;
  /** Time spent waiting for ingestion to be idle. */
  pausedMs: number;
  /** The pass reached its end (every archived file after the cursor the run started from was checked); false when `forMs` or `signal` stopped the run first. */
  complete: boolean;
  passesCompleted: number;
  cursor: ScrubCursor;
  uncatalogedChecked: boolean;
  coverage: ScrubCoverage;
  alerts: { sent: number; held: number };
}

const DAY = 86_400_000;

/** How old the verifications of every local copy are. */
export async function scrubCoverage(catalog: Catalog, now: number, targetDays = 30): Promise<ScrubCoverage> {
  const coverage: ScrubCoverage = { copies: 0, bytes: 0, oldestVerifiedAt: null, oldestUri: null, stale: 0, targetDays, neededRate: 0 };
  for await (const current of archivedAfter(catalog, '')) {
    for (const file of await versionsOf(catalog, current)) {
      for (const { location } of copiesOf(file).local) {
        coverage.copies++;
        coverage.bytes += file.size;
        if (coverage.oldestVerifiedAt === null || location.verifiedAt < coverage.oldestVerifiedAt) {
          coverage.oldestVerifiedAt = location.verifiedAt;
          coverage.oldestUri = location.uri;
        }
        if (location.verifiedAt < now - targetDays * DAY) coverage.stale++;
      }
    }
  }
  coverage.neededRate = coverage.bytes / (targetDays * 86_400);
  return coverage;
}

/**
 * Runs the scrub: reconciliation (with `archive`), then the archived files in archive-id order from the cursor,
 * to the end of the pass (a run resumes the pass an earlier run left unfinished), or on and on with `continuous`.
 *
 * @example
 * ```ts
 * const report = await scrub({ catalog, archive: '/archive', rate: '200MB/s', repair: true, cursor: fileCursor('/archive/.scrub-cursor.json') });
 * if (report.problems.length > 0) process.exitCode = 1;
 * ```
 */
export async function scrub(options: ScrubOptions): Promise<ScrubReport> {
  const { catalog, signal } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const deadline = options.forMs !== undefined ? startedAt + options.forMs : Infinity;
  if (options.forMs !== undefined && !(options.forMs > 0)) throw new IngestError('INVALID_OPTIONS', `forMs ${options.forMs}: expected a positive duration`, { context: { field: 'for' } });
  const bucket = tokenBucket(options.rate === undefined ? Infinity : parseRate(options.rate), clock);
  const store = options.cursor ?? memoryCursor();
  const alerts = scrubAlerts({ notifiers: options.notifiers ?? [], clock, ...(options.alertThrottleMs !== undefined ? { throttleMs: options.alertThrottleMs } : {}), ...(options.alertTo ? { to: options.alertTo } : {}) });
  let pausedMs = 0;
  const counts = { copies: 0, verified: 0, bytes: 0, remote: 0 };
  const context: CheckContext = {
    catalog,
    clock,
    repair: options.repair ?? false,
    actor: options.actor ?? 'scrub',
    counts,
    alert: (a) => alerts.alert(a),
    ...(signal ? { signal } : {}),
    async gate(chunk) {
      pausedMs += await whileBusy(options.isBusy, clock, options.busyPollMs ?? 250, signal);
      await bucket.take(chunk.length, signal);
    },
  };
  const found = new Map<string, ScrubProblem>();
  const add = (problem: ScrubProblem): void => {
    const key = `${problem.problem === 'UNCATALOGED' ? 'U' : 'C'}|${problem.uri}`;
    if (!found.has(key)) options.onProblem?.(problem);
    found.set(key, problem);
  };
  let files = 0;
  const checked = new Set<string>();
  const checkArchiveId = async (archiveId: string): Promise<void> => {
    if (checked.has(archiveId)) return;
    checked.add(archiveId);
    const current = await catalog.getArchived(archiveId);
    if (!current) return;
    files++;
    for (const file of await versionsOf(catalog, current)) for (const p of await checkFile(context, file)) add(p);
  };
  const reconcileNow = async (): Promise<void> => {
    if (options.archive === undefined) return;
    const found = await reconcile(catalog, options.archive, { ...(signal ? { signal } : {}), ...(options.reconcileHooks ? { hooks: options.reconcileHooks } : {}) });
    for (const path of found.uncataloged) {
      const detail = 'in the archive storage but unknown to the catalog; kept as it is (never deleted): ingest it, or move it away';
      // Its own record and history (once, INVALID: nothing ingests it on its own), so an operator sees it listed.
      const recordId = await recordUncataloged(catalog, path, detail, clock.now(), context.actor);
      add({ archiveId: null, uri: path, problem: 'UNCATALOGED', detail, ...(recordId ? { recordId } : {}) });
      alerts.alert({ problem: 'UNCATALOGED', archiveId: null, uri: path, detail });
    }
    // The files with a missing copy are checked first, so a short run repairs them too.
    for (const copy of found.missing) await checkArchiveId(copy.archiveId);
  };

  const now = clock.now();
  let cursor: ScrubCursor = (await store.load()) ?? { pass: 0, after: '', passStartedAt: now, savedAt: now };
  const save = async (): Promise<void> => {
    cursor.savedAt = clock.now();
    await store.save(cursor);
  };
  let complete = false;
  let passesCompleted = 0;
  let lastSave = clock.now();
  const stopped = (): boolean => clock.now() >= deadline || signal?.aborted === true;
  await reconcileNow();
  outer: for (;;) {
    for await (const current of archivedAfter(catalog, cursor.after)) {
      if (stopped()) break outer;
      await checkArchiveId(current.archiveId);
      cursor.after = current.archiveId;
      options.onProgress?.({ pass: cursor.pass, after: cursor.after, files, copies: counts.copies, bytes: counts.bytes, problems: found.size });
      if (clock.now() - lastSave >= 2000) {
        await save();
        lastSave = clock.now();
      }
    }
    passesCompleted++;
    complete = true;
    cursor = { pass: cursor.pass + 1, after: '', passStartedAt: clock.now(), savedAt: clock.now() };
    await save();
    if (!options.continuous) break;
    checked.clear();
    if (stopped()) break;
    await clock.sleep(options.passIntervalMs ?? 60_000, signal).catch(() => {});
    if (stopped()) break;
    await reconcileNow();
  }
  await save();
  await alerts.idle();
  const all = [...found.values()];
  const lost = [...new Set(all.filter((p) => p.lost && p.archiveId).map((p) => p.archiveId!))];
  return {
    problems: all.filter((p) => !p.repaired),
    repaired: all.filter((p) => p.repaired),
    lost,
    files,
    ...counts,
    elapsedMs: clock.now() - startedAt,
    pausedMs,
    complete,
    passesCompleted,
    cursor,
    uncatalogedChecked: options.archive !== undefined,
    coverage: await scrubCoverage(catalog, clock.now(), options.coverageDays ?? 30),
    alerts: { sent: alerts.sent, held: alerts.held },
  };
}
