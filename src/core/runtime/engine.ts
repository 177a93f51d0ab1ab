/**
 * The ingestion engine: wires triggers, catalog, transports and the file-access port to the parts that do the
 * work, each in its own file: the queue with bounded concurrency and the clock's tick (`_scheduler.ts`), moving a
 * record on step by step (`_drive.ts`), step selection and the step functions (`_steps.ts`), storing transitions
 * and carrying out their effects (`_apply.ts`, `_effects.ts`), crash recovery at start (`_recovery.ts`), and the
 * `settled` waiters (`_waiters.ts`). Every state change goes through the pure {@link transition} and is stored in
 * the catalog before its effects are carried out, so a restart continues exactly where the catalog says.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { IngestError, toIngestError } from '../errors.js';
import { createRecord, detectedEntry, type FileRecord } from '../lifecycle/record.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../lifecycle/transition.js';
import type { Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import type { FileAccess } from '../ports/files.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { Transport } from '../ports/transport.js';
import type { Trigger, TriggerAlert, WorkItem } from '../ports/trigger.js';
import type { InstrumentDescription } from '../instruments/schema.js';
import { baseName, type StepContext } from './_context.js';
import { insertUnlessArchived, type GuardedInsert } from './_already-archived.js';
import { createApplier } from './_apply.js';
import { discardPlaced, TAKES_BACK } from './_discard-placed.js';
import { createDriver } from './_drive.js';
import { engineEffectHandlers } from './_effects.js';
import { claimWork, cleanStaging } from './_recovery.js';
import { createScheduler, tickLoop } from './_scheduler.js';
import { createWaiters } from './_waiters.js';
import type { IngestorEvents } from './events.js';
import { initOnce, startStop } from './once.js';
import { settingsSchema, type EngineSettings } from './_settings.js';
import { releaseLease } from '../ports/catalog-fallbacks.js';
/** Options of {@link createEngine}. */
export type EngineOptions = EngineSettings & {
  /** Instrument descriptions files are matched against (INSTRUME and aliases). */
  instruments: readonly InstrumentDescription[];
  /** Used when no description matches; without it such files are INVALID (UNKNOWN_INSTRUMENT). */
  fallbackInstrument?: InstrumentDescription;
  catalog: Catalog;
  /** Destinations; a file is TRANSFERRED once every one of them holds a verified copy. */
  transports: readonly Transport[];
  files: FileAccess;
  clock: Clock;
  triggers?: readonly Trigger[];
  logger?: Logger;
  /** Uniform random numbers in [0, 1) for retry jitter. @default Math.random */
  random?: () => number;
  /** Record ids. @default crypto.randomUUID */
  newId?: () => string;
  /**
   * Whether the engine owns the catalog: with true, `stop()` closes it (and the next `start()` opens it again).
   * With false the caller, who made the catalog, closes it when done (and can still read it after `stop()`). The
   * engine always opens (`init`) the catalog at `start()`; catalogs' `init` is idempotent. @default false
   */
  ownsCatalog?: boolean;
};

/** The result of {@link Ingestor.submit}. */
export interface Submission {
  record: FileRecord;
  /** False when the path already had an active record (a re-announcement), or was archived already. */
  created: boolean;
  /**
   * True when the file at this path was archived from it before with the same bytes (a rerun, a watcher's
   * restart): `record` is that ARCHIVED record and nothing new is recorded. Never set by {@link Ingestor.reingest}.
   */
  alreadyArchived?: boolean;
}

/** A running ingestion engine. */
export interface Ingestor extends EventEmitter<IngestorEvents> {
  readonly catalog: Catalog;
  /** The instrument descriptions files are matched against (e.g. to tell frames from attachments by `role`). */
  readonly instruments: readonly InstrumentDescription[];
  /**
   * Opens the catalog, resumes unfinished work, starts the triggers. Rejects ALREADY_STARTED while started. A
   * failed start is undone (the triggers it started are stopped) and can be retried.
   */
  start(): Promise<void>;
  /**
   * Stops triggers, lets in-flight steps finish (or aborts them with `{ abort: true }`), releases claims, closes
   * every transport (`Transport.close`) and, with `ownsCatalog`, the catalog. Work not started stays in the
   * catalog and resumes at the next start. Idempotent; the engine can be started again afterwards.
   */
  stop(options?: { abort?: boolean }): Promise<void>;
  /** Announces a file (what triggers call). Idempotent per path while the file's record is active. */
  submit(item: WorkItem): Promise<Submission>;
  /** Resolves when every given record is in a final state (ARCHIVED, INVALID, ABANDONED, DUPLICATE, SUPERSEDED). */
  settled(recordIds: readonly string[]): Promise<FileRecord[]>;
  /** Operator action: start an INVALID, ABANDONED, DUPLICATE or FAILED record over. */
  requeue(recordId: string, actor?: string): Promise<FileRecord>;
  /** Ingests a file again, replacing what the archive holds under its archive id (the old one becomes SUPERSEDED). */
  reingest(path: string, actor?: string): Promise<Submission>;
  /** Counts of work in memory: running steps, queued and waiting records. */
  load(): { running: number; queued: number; waiting: number };
}


/**
 * Creates an ingestion engine from ports. Most users call `createIngestor` (package root), which fills in the
 * Node.js file access and clock.
 */
export function createEngine(options: EngineOptions): Ingestor {
  const { instruments, fallbackInstrument, catalog, transports, files, clock, triggers = [], logger = silentLogger } = options;
  const parsed = settingsSchema.safeParse({
    concurrency: options.concurrency,
    staging: options.staging,
    stability: options.stability,
    retry: options.retry,
    owner: options.owner,
    leaseMs: options.leaseMs,
    claimIntervalMs: options.claimIntervalMs,
    tickMs: options.tickMs,
    stepTimeoutMs: options.stepTimeoutMs,
    commentPrefix: options.commentPrefix,
    software: options.software,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IngestError('INVALID_OPTIONS', `createEngine: ${issue.path.join('.') || 'options'}: ${issue.message}`, {
      context: { field: issue.path.join('.') },
    });
  }
  if (transports.length === 0) throw new IngestError('INVALID_OPTIONS', 'createEngine: at least one transport is needed', { context: { field: 'transports' } });
  const settings = parsed.data;
  const retry: Partial<RetryPolicy> = Object.fromEntries(Object.entries(settings.retry).filter(([, v]) => v !== undefined));
  const random = options.random ?? Math.random;
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const maxAttempts = retry.maxAttempts ?? DEFAULT_RETRY.maxAttempts;

  const ctx: StepContext = {
    instruments,
    fallbackInstrument,
    catalog,
    transports,
    files,
    clock,
    logger,
    staging: settings.staging,
    stability: settings.stability,
    commentPrefix: settings.commentPrefix,
    software: settings.software,
    observations: new Map(),
    receipts: new Map(),
    staged: new Map(),
  };
  const emitter = new EventEmitter<IngestorEvents>();
  /** Consecutive failures outside the steps (the catalog refused a write…), by record id. */
  const outsideFailures = new Map<string, number>();
  let halted: IngestError | undefined;
  let abort = new AbortController();
  let abortOnStop = false;
  let loop: Promise<void> | undefined;
  let nextClaim = 0;
  let startedTriggers: Trigger[] = [];
  let unhint: (() => void) | undefined;

  const scheduler = createScheduler({ concurrency: settings.concurrency, clock, run: (id) => runGuarded(id) });
  scheduler.close(); // open from start() to stop()
  const waiters = createWaiters(catalog);
  const takeBack = (record: FileRecord): void => {
    if (TAKES_BACK[record.state]) void discardPlaced(record, catalog, transports, logger);
  };
  const applier = createApplier({
    catalog,
    clock,
    logger,
    emitter,
    ctx,
    retry,
    random,
    handlers: engineEffectHandlers({ emitter, scheduler, files, catalog, logger }),
    onFinal: (record) => {
      waiters.notify(record);
      takeBack(record);
    },
  });
  const drive = createDriver({ catalog, clock, files, logger, emitter, scheduler, applier, ctx, stepTimeoutMs: settings.stepTimeoutMs, signal: () => abort.signal });
  const claim = (): Promise<void> => claimWork({ catalog, clock, scheduler, owner: settings.owner, leaseMs: settings.leaseMs });
  const openCatalog = initOnce(() => catalog.init());

  /** Runs a record; a failure outside the steps (the catalog refused a write) is counted, and halts when it persists. */
  async function runGuarded(id: string): Promise<void> {
    try {
      await drive(id);
      outsideFailures.delete(id);
    } catch (error) {
      const e = toIngestError(error);
      logger.error('unexpected error while processing a file', { recordId: id, error: e.toJSON() });
      emitter.emit('error', e);
      if (scheduler.closed) return;
      // A problem outside the steps (the catalog refused a write: busy, full, read-only…) cannot be recorded as
      // a failed attempt, so it is counted here: look again later, and stop the engine when it persists.
      const failures = (outsideFailures.get(id) ?? 0) + 1;
      outsideFailures.set(id, failures);
      if (failures >= maxAttempts) return halt(e);
      scheduler.wait(id, clock.now() + Math.max(settings.tickMs, 1000));
    }
  }

  /**
   * Stops the engine on its own after a persistent failure outside the steps (the catalog cannot be written): no
   * more work is taken, pending `settled` calls reject with ENGINE_HALTED, and what was unfinished stays in the
   * catalog as it was last recorded, to resume at the next start.
   */
  function halt(cause: IngestError): void {
    if (halted) return;
    halted = new IngestError('ENGINE_HALTED', `stopped after ${maxAttempts} failed tries: ${cause.code}: ${cause.detail}`, { cause, context: cause.context });
    scheduler.close();
    scheduler.clear();
    logger.error('the engine halted', { error: halted.toJSON() });
    emitter.emit('halted', halted);
    waiters.failAll(halted);
  }

  async function onTick(now: number): Promise<void> {
    if (scheduler.closed) return;
    scheduler.wakeDue(now);
    if (now < nextClaim) return;
    nextClaim = now + settings.claimIntervalMs;
    await claim().catch((error: unknown) => emitter.emit('error', toIngestError(error)));
    // Only on a shared catalog can another worker finish a record this engine's `settled` callers wait for.
    if (catalog.capabilities.shared) await waiters.recheck(takeBack).catch((error: unknown) => emitter.emit('error', toIngestError(error)));
  }

  const sink = {
    submit: async (item: WorkItem): Promise<void> => {
      await ingestor.submit(item);
    },
    alert: (alert: TriggerAlert): void => {
      emitter.emit('alert', alert);
    },
  };

  const lifecycle = startStop({
    name: 'the ingestor',
    restartable: true,
    async start() {
      halted = undefined;
      outsideFailures.clear();
      abort = new AbortController();
      abortOnStop = false;
      await openCatalog();
      if (!catalog.capabilities.durable) logger.warn('the catalog is not durable: a crash loses the state of the files in flight, which are then ingested again from the start', { catalog: catalog.name });
      await cleanStaging(files, catalog, settings.staging, logger);
      scheduler.open();
      await claim();
      nextClaim = clock.now() + settings.claimIntervalMs;
      unhint = catalog.onWorkHint?.(() => void (nextClaim = 0)); // another host made work claimable: ask at the next tick
      loop = tickLoop(clock, settings.tickMs, abort.signal, onTick);
      for (const trigger of triggers) {
        await trigger.start(sink);
        startedTriggers.push(trigger);
      }
    },
    // Also the rollback of a failed start: it undoes only what was done, and leaves the transports open for the retry.
    async stop() {
      const rollback = lifecycle.state === 'starting';
      for (const trigger of startedTriggers) await trigger.stop().catch((error: unknown) => logger.warn('trigger stop failed', { error: String(error) }));
      startedTriggers = [];
      unhint?.();
      unhint = undefined;
      scheduler.close();
      if (abortOnStop) abort.abort();
      await scheduler.drain();
      abort.abort();
      await loop;
      loop = undefined;
      for (const id of scheduler.clear()) await releaseLease(catalog, id, settings.owner).catch(() => {});
      if (!rollback) {
        for (const transport of transports) await transport.close?.().catch((error: unknown) => logger.warn('transport close failed', { transport: transport.name, error: String(error) }));
      }
      if (options.ownsCatalog && openCatalog.done) await catalog.close();
      openCatalog.reset();
    },
  });

  const ingestor = Object.assign(emitter, {
    catalog,
    instruments,
    start: () => lifecycle.start(),

    async stop(stopOptions: { abort?: boolean } = {}): Promise<void> {
      if (stopOptions.abort) {
        abortOnStop = true;
        if (scheduler.closed) abort.abort();
      }
      await lifecycle.stop();
    },

    async submit(item: WorkItem): Promise<Submission> {
      if (scheduler.closed) throw new IngestError('INVALID_OPTIONS', 'the ingestor is not running; call start() first');
      const record = createRecord(
        {
          id: newId(),
          source: item.path,
          originalName: baseName(item.path),
          trigger: item.trigger,
          ...(item.level !== undefined ? { level: item.level } : {}),
          ...(item.parents !== undefined ? { parents: item.parents } : {}),
          ...(item.instrument !== undefined ? { instrument: item.instrument } : {}),
          ...(item.size !== undefined ? { size: item.size } : {}),
          ...(item.mtimeMs !== undefined ? { mtimeMs: item.mtimeMs } : {}),
          metadata: { ...item.metadata, ...(item.complete ? { complete: true } : {}) },
        },
        clock.now(),
      );
      // Leased to this worker from the start, so another worker sharing the catalog does not claim it meanwhile.
      const lease = { owner: settings.owner, until: clock.now() + settings.leaseMs };
      // A reingest archives the same bytes again on purpose; any other submit of a file already archived is that record.
      const { inserted, record: stored, leasedTo, alreadyArchived }: GuardedInsert =
        item.metadata?.['reingest'] === true
          ? await catalog.insertRecord(record, detectedEntry(record), lease)
          : await insertUnlessArchived(catalog, files, record, detectedEntry(record), lease);
      if (alreadyArchived) return { record: stored, created: false, alreadyArchived: true };
      if (leasedTo !== undefined) return { record: stored, created: false }; // another worker is on it; our claims find it if its lease ends
      if (inserted) emitter.emit('detected', stored);
      if (!scheduler.busy(stored.id)) scheduler.enqueue(stored.id);
      return { record: stored, created: inserted };
    },

    settled: (recordIds: readonly string[]): Promise<FileRecord[]> => waiters.settled(recordIds, halted),

    async requeue(recordId: string, actor = 'operator'): Promise<FileRecord> {
      const record = await catalog.getRecord(recordId);
      if (!record) throw new IngestError('NOT_FOUND', `no record ${recordId}`);
      // REQUEUE's `run` effect queues the record.
      return (await applier.apply(record, { type: 'REQUEUE', actor }, false)).record;
    },

    async reingest(path: string, actor = 'operator'): Promise<Submission> {
      return ingestor.submit({ path, trigger: actor, detectedAt: clock.now(), complete: true, metadata: { reingest: true } });
    },

    load: () => scheduler.load(),
  });
  return ingestor;
}
