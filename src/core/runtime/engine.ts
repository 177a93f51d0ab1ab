/**
 * The ingestion engine: wires triggers, catalog, transports and the file-access port; claims work; runs each
 * file's steps with bounded concurrency; retries transient failures with backoff; drains on stop; and emits typed
 * events. Every state change goes through the pure {@link transition} and is stored in the catalog before its
 * effects are carried out, so a restart continues exactly where the catalog says.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { IngestError, isIngestError, toIngestError } from '../errors.js';
import { createRecord, detectedEntry, type FileRecord } from '../lifecycle/record.js';
import { isFinal, NEXT_STEP, type StepName } from '../lifecycle/states.js';
import { DEFAULT_RETRY, transition, type Effect, type LifecycleEvent, type RetryPolicy } from '../lifecycle/transition.js';
import type { Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import type { FileAccess } from '../ports/files.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { Transport } from '../ports/transport.js';
import type { Trigger, TriggerAlert, WorkItem } from '../ports/trigger.js';
import type { InstrumentDescription } from '../../instruments/schema.js';
import { baseName, type StepContext, type StepOutcome } from './_context.js';
import { archivedFromSource } from './_already-archived.js';
import { commit } from './_commit.js';
import { prepare } from './_prepare.js';
import { stabilize } from './_stabilize.js';
import { transfer } from './_transfer.js';
import type { IngestorEvents } from './events.js';
import { settingsSchema, type EngineSettings } from './_settings.js';

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
  /** Opens the catalog, resumes unfinished work, starts the triggers. */
  start(): Promise<void>;
  /**
   * Stops triggers, lets in-flight steps finish (or aborts them with `{ abort: true }`), releases claims. Work not
   * started stays in the catalog and resumes at the next start.
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
  const queue: string[] = [];
  const queued = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const waiting = new Map<string, number>();
  const waiters = new Set<{ ids: Set<string>; done: (record: FileRecord) => void; fail: (error: IngestError) => void }>();
  /** Consecutive failures outside the steps (the catalog refused a write…), by record id. */
  const outsideFailures = new Map<string, number>();
  const maxAttempts = retry.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  let halted: IngestError | undefined;
  let started = false;
  let stopping = false;
  let abort = new AbortController();
  let loop: Promise<void> | undefined;
  let nextClaim = 0;
  let unhint: (() => void) | undefined;

  const enqueue = (id: string): void => {
    if (stopping) return;
    // Being processed right now: look at it again once the current run is over.
    if (running.has(id)) return void waiting.set(id, clock.now());
    if (queued.has(id)) return;
    waiting.delete(id);
    queued.add(id);
    queue.push(id);
    pump();
  };
  const wait = (id: string, at: number): void => {
    waiting.set(id, at);
  };

  function pump(): void {
    while (!stopping && running.size < settings.concurrency && queue.length > 0) {
      const id = queue.shift()!;
      queued.delete(id);
      const work = process(id)
        .then(() => void outsideFailures.delete(id))
        .catch((error: unknown) => {
          const e = toIngestError(error);
          logger.error('unexpected error while processing a file', { recordId: id, error: e.toJSON() });
          emitter.emit('error', e);
          if (stopping) return;
          // A problem outside the steps (the catalog refused a write: busy, full, read-only…) cannot be recorded as
          // a failed attempt, so it is counted here: look again later, and stop the engine when it persists.
          const failures = (outsideFailures.get(id) ?? 0) + 1;
          outsideFailures.set(id, failures);
          if (failures >= maxAttempts) return halt(e);
          waiting.set(id, clock.now() + Math.max(settings.tickMs, 1000));
        })
        .finally(() => {
          running.delete(id);
          pump();
        });
      running.set(id, work);
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
    stopping = true;
    queue.length = 0;
    queued.clear();
    waiting.clear();
    logger.error('the engine halted', { error: halted.toJSON() });
    emitter.emit('halted', halted);
    for (const w of [...waiters]) w.fail(halted);
  }

  /** Stores a transition and carries out its effects; returns the new record. */
  async function apply(record: FileRecord, event: LifecycleEvent): Promise<FileRecord> {
    const result = transition(record, event, clock.now(), { retry, random });
    await catalog.updateRecord(result.record, result.entry);
    afterTransition(result.record, result.entry, result.effects);
    return result.record;
  }

  function afterTransition(record: FileRecord, entry: import('../lifecycle/record.js').HistoryEntry | undefined, effects: Effect[]): void {
    if (entry) emitter.emit('state', record, entry);
    for (const effect of effects) {
      switch (effect.type) {
        case 'schedule':
          wait(record.id, effect.at);
          break;
        case 'discard-staged':
          void files.remove(effect.path).catch((error: unknown) => logger.warn('could not remove a staged copy', { path: effect.path, error: String(error) }));
          break;
        case 'emit':
          if (effect.event !== 'archived' && effect.event !== 'requeued') emitter.emit(effect.event, record);
          break;
        case 'run':
          break;
      }
    }
    if (isFinal(record.state)) {
      ctx.staged.delete(record.id);
      ctx.receipts.delete(record.id);
      ctx.observations.delete(record.id);
      notifyWaiters(record);
    }
  }

  function notifyWaiters(record: FileRecord): void {
    for (const w of waiters) if (w.ids.has(record.id)) w.done(record);
    if (record.state === 'ABANDONED' || record.state === 'INVALID' || record.state === 'DUPLICATE') void discardPlaced(record);
  }

  /**
   * A record given up (ABANDONED, or INVALID at the commit) after its transfer started may have left copies the
   * catalog will never list (the catalog or the manifest could not be written after the bytes arrived, or another
   * record holds the archive id): transports that can take them back do (only copies this record placed).
   */
  async function discardPlaced(record: FileRecord): Promise<void> {
    if (!record.archiveId || !record.sha256 || !record.night || !record.instrument) return;
    // The catalog is the truth: whatever it lists for this archive id stays, even if this record placed it (a
    // twin with identical bytes was archived from it).
    let keep: string[];
    try {
      const versions = catalog.archivedVersions ? await catalog.archivedVersions(record.archiveId) : [await catalog.getArchived(record.archiveId)];
      keep = versions.flatMap((f) => f?.locations.map((l) => l.uri) ?? []);
    } catch (error) {
      logger.warn('could not read the catalog; nothing taken back', { recordId: record.id, error: String(error) });
      return;
    }
    const target = { recordId: record.id, archiveId: record.archiveId, instrument: record.instrument, level: record.level, night: record.night, sha256: record.sha256, keep };
    for (const transport of transports) {
      await transport.discard?.(target).catch((error: unknown) => logger.warn('could not take back an abandoned copy', { recordId: record.id, transport: transport.name, error: String(error) }));
    }
  }

  /** Records another worker sharing the catalog finished never pass through this engine: look them up. */
  async function recheckWaiters(): Promise<void> {
    const pending = new Set<string>();
    for (const w of waiters) for (const id of w.ids) pending.add(id);
    if (pending.size === 0) return;
    for (const record of await catalog.findRecords({ ids: [...pending], limit: pending.size })) {
      if (isFinal(record.state)) notifyWaiters(record);
    }
  }

  /** `work`, or STEP_TIMEOUT once `stepTimeoutMs` has passed (a read that never returns must not hang the run). */
  async function bounded<T>(work: Promise<T>, record: FileRecord, step: string): Promise<T> {
    const timer = new AbortController();
    work.catch(() => {}); // if it settles after the timeout, nobody is listening
    const timeout = clock.sleep(settings.stepTimeoutMs, timer.signal).then(
      () => {
        throw new IngestError('STEP_TIMEOUT', `the ${step} step did not finish within ${settings.stepTimeoutMs} ms`, { context: { file: record.source } });
      },
      () => new Promise<never>(() => {}),
    );
    try {
      return await Promise.race([work, timeout]);
    } finally {
      timer.abort();
    }
  }

  async function runStep(record: FileRecord): Promise<StepOutcome | 'committed'> {
    const step = NEXT_STEP[record.state];
    if (step === undefined) throw new IngestError('INTERNAL', `no step for state ${record.state}`);
    return bounded(runStepNow(record, step), record, step);
  }

  async function runStepNow(record: FileRecord, step: StepName): Promise<StepOutcome | 'committed'> {
    switch (step) {
      case 'stabilize':
        return stabilize(ctx, record);
      case 'prepare':
        return prepare(ctx, record);
      case 'transfer':
        return transfer(ctx, record, abort.signal);
      case 'commit': {
        const outcome = await commit(ctx, record, abort.signal);
        if ('event' in outcome) return outcome;
        afterTransition(outcome.result.record, outcome.result.entry, outcome.result.effects);
        if (outcome.superseded) emitter.emit('superseded', outcome.superseded);
        emitter.emit('archived', outcome.result.record, outcome.file);
        return 'committed';
      }
      default:
        throw new IngestError('INTERNAL', `no step for state ${record.state}`);
    }
  }

  /** Moves one record on as far as it can go now. */
  async function process(id: string): Promise<void> {
    let record = await catalog.getRecord(id);
    while (record && !stopping) {
      if (isFinal(record.state)) return;
      if (record.state === 'FAILED') {
        const due = record.nextAttemptAt ?? 0;
        if (due > clock.now()) return void wait(id, due);
        record = await applyUnlessMoved(record, { type: 'RETRY' });
        continue;
      }
      let outcome: StepOutcome | 'committed';
      try {
        outcome = await runStep(record);
      } catch (error) {
        const e = toIngestError(error, { file: record.source });
        if (isIngestError(e, 'CONFLICT')) {
          logger.debug('record changed by another worker', { recordId: id });
          return;
        }
        if (abort.signal.aborted) return;
        const step = NEXT_STEP[record.state] ?? 'unknown';
        if (e.kind === 'internal') emitter.emit('error', e, record);
        outcome = { event: { type: 'FAILED', error: { code: e.code, kind: e.kind, message: e.message, step } } };
      }
      if (outcome === 'committed') return;
      if ('waitMs' in outcome) return void wait(id, clock.now() + outcome.waitMs);
      if (abort.signal.aborted) return;
      const event = outcome.event;
      const warnings = event.type === 'PREPARED' ? event.warnings ?? [] : [];
      record = await applyUnlessMoved(record, event);
      if (!record) {
        // Another worker moved the record first: the copy this step staged is nobody's.
        if (event.type === 'PREPARED') await files.remove(event.staged).catch(() => {});
        return;
      }
      if (warnings.length > 0) emitter.emit('warning', record, warnings);
    }
  }

  /** {@link apply}, or undefined when another worker sharing the catalog changed the record first. */
  async function applyUnlessMoved(record: FileRecord, event: LifecycleEvent): Promise<FileRecord | undefined> {
    try {
      return await apply(record, event);
    } catch (error) {
      if (!isIngestError(error, 'CONFLICT')) throw error;
      logger.debug('record changed by another worker', { recordId: record.id });
      return undefined;
    }
  }

  /**
   * Removes staged copies a crash left behind: partial ones, and those whose record is final (the removal after
   * ARCHIVED did not happen) or unknown. The staging directory belongs to one ingestor.
   */
  async function cleanStaging(): Promise<void> {
    let names: string[];
    try {
      names = await files.list(settings.staging);
    } catch {
      return; // no staging directory yet
    }
    for (const path of names) {
      const match = /\.([0-9a-fA-F-]{8,})\.fits(\.part)?$/.exec(path);
      const record = match ? await catalog.getRecord(match[1]!) : undefined;
      const keep = record !== undefined && !isFinal(record.state) && record.staged === path;
      if (!keep) {
        await files.remove(path);
        logger.info('removed a staged copy left by an earlier run', { path });
      }
    }
  }

  async function claimWork(): Promise<void> {
    const limit = 100;
    for (;;) {
      const claimed = await catalog.claim({ owner: settings.owner, now: clock.now(), leaseMs: settings.leaseMs, limit });
      // Records this process already holds (running, queued, waiting for their time) keep their schedule. Claims
      // hand our own leases back first, so stop as soon as a batch brings nothing new (else this loops forever).
      let fresh = 0;
      for (const record of claimed) {
        if (running.has(record.id) || queued.has(record.id) || waiting.has(record.id)) continue;
        enqueue(record.id);
        fresh++;
      }
      if (claimed.length < limit || fresh === 0) return;
    }
  }

  async function timerLoop(): Promise<void> {
    while (!stopping) {
      try {
        await clock.sleep(settings.tickMs, abort.signal);
      } catch {
        return;
      }
      const now = clock.now();
      for (const [id, at] of waiting) {
        if (at <= now) {
          waiting.delete(id);
          enqueue(id);
        }
      }
      if (now >= nextClaim) {
        nextClaim = now + settings.claimIntervalMs;
        await claimWork().catch((error: unknown) => emitter.emit('error', toIngestError(error)));
        await recheckWaiters().catch((error: unknown) => emitter.emit('error', toIngestError(error)));
      }
    }
  }

  const sink = {
    submit: async (item: WorkItem): Promise<void> => {
      await ingestor.submit(item);
    },
    alert: (alert: TriggerAlert): void => {
      emitter.emit('alert', alert);
    },
  };

  const ingestor = Object.assign(emitter, {
    catalog,
    instruments,
    async start(): Promise<void> {
      if (started) throw new IngestError('INVALID_OPTIONS', 'the ingestor is already started');
      started = true;
      stopping = false;
      halted = undefined;
      outsideFailures.clear();
      abort = new AbortController();
      await catalog.init();
      await cleanStaging();
      await claimWork();
      nextClaim = clock.now() + settings.claimIntervalMs;
      unhint = catalog.onWorkHint?.(() => void (nextClaim = 0)); // another host made work claimable: ask at the next tick
      loop = timerLoop();
      for (const trigger of triggers) await trigger.start(sink);
    },

    async stop(stopOptions: { abort?: boolean } = {}): Promise<void> {
      if (!started) return;
      for (const trigger of triggers) await trigger.stop().catch((error: unknown) => logger.warn('trigger stop failed', { error: String(error) }));
      stopping = true;
      unhint?.();
      if (stopOptions.abort) abort.abort();
      await Promise.allSettled(running.values());
      abort.abort();
      await loop;
      for (const id of [...queued, ...waiting.keys()]) await catalog.release(id, settings.owner).catch(() => {});
      queue.length = 0;
      queued.clear();
      waiting.clear();
      started = false;
    },

    async submit(item: WorkItem): Promise<Submission> {
      if (stopping || !started) throw new IngestError('INVALID_OPTIONS', 'the ingestor is not running; call start() first');
      if (item.metadata?.['reingest'] !== true) {
        const archived = await archivedFromSource(catalog, files, item.path);
        if (archived) return { record: archived, created: false, alreadyArchived: true };
      }
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
      const { inserted, record: stored, leasedTo } = await catalog.insertRecord(record, detectedEntry(record), lease);
      if (leasedTo !== undefined) return { record: stored, created: false }; // another worker is on it; our claims find it if its lease ends
      if (inserted) emitter.emit('detected', stored);
      if (!running.has(stored.id) && !waiting.has(stored.id)) enqueue(stored.id);
      return { record: stored, created: inserted };
    },

    async settled(recordIds: readonly string[]): Promise<FileRecord[]> {
      const pending = new Set(recordIds);
      let finished = false;
      return new Promise<FileRecord[]>((resolve, reject) => {
        const finish = (): void => {
          if (finished || pending.size > 0) return;
          finished = true;
          waiters.delete(entry);
          Promise.all(recordIds.map((id) => catalog.getRecord(id))).then((records) => resolve(records as FileRecord[]), reject);
        };
        const entry = {
          ids: pending,
          done: (record: FileRecord) => {
            pending.delete(record.id);
            finish();
          },
          fail: (error: IngestError) => {
            if (finished) return;
            finished = true;
            waiters.delete(entry);
            reject(error);
          },
        };
        if (halted) return reject(halted);
        waiters.add(entry);
        Promise.all(recordIds.map((id) => catalog.getRecord(id)))
          .then((records) => {
            records.forEach((r, i) => {
              if (r === undefined) throw new IngestError('NOT_FOUND', `no record ${recordIds[i]}`);
              if (isFinal(r.state)) pending.delete(r.id);
            });
            finish();
          })
          .catch((error: unknown) => {
            waiters.delete(entry);
            reject(error);
          });
      });
    },

    async requeue(recordId: string, actor = 'operator'): Promise<FileRecord> {
      const record = await catalog.getRecord(recordId);
      if (!record) throw new IngestError('NOT_FOUND', `no record ${recordId}`);
      const next = await apply(record, { type: 'REQUEUE', actor });
      enqueue(next.id);
      return next;
    },

    async reingest(path: string, actor = 'operator'): Promise<Submission> {
      return ingestor.submit({ path, trigger: actor, detectedAt: clock.now(), complete: true, metadata: { reingest: true } });
    },

    load() {
      return { running: running.size, queued: queue.length, waiting: waiting.size };
    },
  });
  return ingestor;
}

