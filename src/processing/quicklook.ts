/**
 * Quick-look on arrival, as at Keck: a listener on the engine's `archived` events turns every raw frame that an
 * on-arrival processing rule takes into a high-priority request of the processing service (its products are
 * archived like any other file, linked to the frame). A frame whose rule `needs` night masters that do not exist
 * yet is stored WAITING with what it waits for, and queued once they do: the night's masters are certified again,
 * from every calibration frame the night holds, as soon as a type a waiting frame needs has one archived. Each frame's latency (file complete →
 * ARCHIVED → quick-look ARCHIVED) is kept; a quick-look later than `lateAfterMs` raises an operator alert on the
 * engine's `alert` event. Nights are closed by {@link QuickLook.closeNight} or, with `closeAfterHours`, on their own.
 *
 * Nothing is lost or doubled by a crash: a frame is stored with its request id before its request is stored (a
 * restart stores a missing request under that id), and at start the frames archived in the last `catchUpHours`
 * that no frame row records are taken as if they had just arrived.
 *
 * @module
 */
import { IngestError, toIngestError } from '../core/errors.js';
import { instrumentByName } from '../core/instruments/find-instrument.js';
import { processingFor, waitingFor } from '../core/instruments/processing.js';
import type { ProcessingRule } from '../core/instruments/processing-rules.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';
import type { FileRecord } from '../core/lifecycle/record.js';
import type { ArchivedFile } from '../core/ports/catalog.js';
import type { RuleFrameFilter } from '../core/ports/processing-store.js';
import { isLate, summarize, type NightRecord, type QuickLookSummary, type RuleFrame } from '../core/processing/quicklook.js';
import { createRequest, FINAL_REQUEST_STATES } from '../core/processing/request.js';
import { frameView } from './_frame-view.js';
import { availableTypes, buildMasters, mastersRuleFor, nightFrames, nightRecord } from './_night-masters.js';
import { inputOf } from './inputs.js';
import { closeNight } from './night-close.js';
import type { ProcessingService } from './service.js';

/** Options of {@link createQuickLook}. */
export interface QuickLookOptions {
  /** A started (or soon started) processing service; its processor runs every rule. */
  service: ProcessingService;
  /** A quick-look not ARCHIVED this long after its file was complete raises an operator alert. @default 300000 (KOA's 5 minutes) */
  lateAfterMs?: number;
  /** How often finished requests, late frames and waiting frames are looked at. @default 250 */
  tickMs?: number;
  /** Close each night on its own this many hours after its date's 00:00 UT (e.g. 22 for local noon in Hawaii). @default never */
  closeAfterHours?: number;
  /** At start, take frames archived this recently that no frame row records (missed while stopped). @default 36 */
  catchUpHours?: number;
}

/** What `status` and `GET /v1/quicklook` show. */
export interface QuickLookStatus extends QuickLookSummary {
  nights: NightRecord[];
}

/** A running quick-look listener. */
export interface QuickLook {
  /** Checks the rules, catches up, resumes unfinished closes, listens. */
  start(): Promise<void>;
  /** Stops listening; closes in progress keep running in the service until it stops. */
  stop(): Promise<void>;
  frames(filter?: RuleFrameFilter): Promise<RuleFrame[]>;
  status(filter?: { instrument?: string; night?: string }): Promise<QuickLookStatus>;
  /** Closes a night (see night-close.ts): masters, the level-2 batch, its release. Idempotent, resumable. */
  closeNight(input: { instrument: string; night: string; actor: string; timeoutMs?: number }): Promise<NightRecord>;
  /** One pass over queued, late and waiting frames (the timer calls it; tests may too). */
  tick(): Promise<void>;
}

/** When the file was complete: its last write (mtime) when it was seen within a minute of it, else when it was seen. */
export function completeAt(record: Pick<FileRecord, 'mtimeMs' | 'createdAt'>): number {
  const mtime = record.mtimeMs;
  return mtime !== undefined && mtime <= record.createdAt && record.createdAt - mtime <= 60_000 ? mtime : record.createdAt;
}

/** Creates the quick-look listener of a processing service's engine (not started). */
export function createQuickLook(options: QuickLookOptions): QuickLook {
  const { service } = options;
  const ctx = service.context;
  const lateAfterMs = options.lateAfterMs ?? 300_000;
  const instruments = ctx.instruments;
  let timer: NodeJS.Timeout | undefined;
  let listening = false;
  let ticking: Promise<void> | undefined;
  let lastRelease = 0;
  let lastAutoClose = Number.NEGATIVE_INFINITY;
  /** Serializes what changes frames and masters (events, ticks, closes), so masters are built once. */
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => {});
    return next;
  };
  const closing = new Map<string, Promise<NightRecord>>();

  const alert = (code: string, message: string, path?: string): void => {
    ctx.ingestor.emit('alert', { trigger: 'quicklook', code, message, ...(path ? { path } : {}) });
  };
  const report = (error: unknown): void => void ctx.ingestor.emit('error', toIngestError(error));

  function arrivalRules(description: InstrumentDescription, file: ArchivedFile): ProcessingRule[] {
    return processingFor(description, frameView(file), 'arrival').filter((r) => r.mode !== 'masters');
  }

  async function queue(frame: RuleFrame, rule: ProcessingRule, file: ArchivedFile | undefined): Promise<void> {
    const source = file ?? (await ctx.catalog.getArchived(frame.archiveId));
    if (!source) throw new IngestError('NOT_FOUND', `no archived file ${frame.archiveId}`, { context: { file: frame.archiveId } });
    const request = createRequest({
      id: frame.requestId!, requester: 'quicklook', priority: rule.priority, instrument: frame.instrument, kind: ctx.kind, inputs: [inputOf(instruments, source)],
      calibration: 'latest', processor: { name: ctx.processor.name, version: ctx.processor.version }, mode: rule.mode, rule: rule.name,
      reason: `on arrival (rule ${rule.name})`,
    }, ctx.now());
    await ctx.store.insertRequest(request);
  }

  /** Takes one archived raw frame: a row per matching rule, QUEUED (with its request) or WAITING. */
  async function take(file: ArchivedFile, complete: number): Promise<void> {
    const description = instrumentByName(instruments, file.instrument);
    if (!description) return;
    const record = await nightRecord(ctx, description.name, file.night);
    const ready = new Set(Object.keys(record.masters));
    let waiting = false;
    for (const rule of arrivalRules(description, file)) {
      const missing = waitingFor(rule, ready);
      const frame: RuleFrame = {
        archiveId: file.archiveId, rule: rule.name, instrument: description.name, night: file.night, state: missing.length ? 'WAITING' : 'QUEUED',
        waitingFor: missing, completeAt: complete, archivedAt: file.archivedAt, updatedAt: ctx.now(), ...(missing.length ? {} : { requestId: ctx.newId() }),
      };
      if (!(await ctx.store.addFrame(frame))) continue; // taken already (an event after a catch-up)
      if (frame.state === 'QUEUED') await queue(frame, rule, file);
      else waiting = true;
    }
    if (waiting || mastersRuleFor(description, file.imageType)) await release(description, file.night);
    service.wake();
  }

  /** Builds the night's masters when a waiting frame's needs are all on disk, and queues every frame now ready. */
  async function release(description: InstrumentDescription, night: string): Promise<void> {
    const waiting = await ctx.store.findFrames({ instrument: description.name, night, states: ['WAITING'] });
    if (waiting.length === 0) return;
    let record = await nightRecord(ctx, description.name, night);
    const ready = () => new Set(Object.keys(record.masters));
    const rules = new Map(description.processingRules.map((r) => [r.name, r]));
    const available = availableTypes(description, await nightFrames(ctx, description.name, night));
    // A type a frame waits for has calibration frames on disk now: (re)build the masters with all the night holds.
    const buildable = waiting.some((f) => f.waitingFor.some((t) => available.has(t) && !ready().has(t)));
    if (buildable) record = await buildMasters(ctx, description, record, 'quicklook');
    for (const frame of waiting) {
      const rule = rules.get(frame.rule);
      if (!rule) continue;
      const missing = waitingFor(rule, ready());
      if (missing.length > 0) {
        if (missing.join() !== frame.waitingFor.join()) await ctx.store.putFrame({ ...frame, waitingFor: missing, updatedAt: ctx.now() });
        continue;
      }
      const queued: RuleFrame = { ...frame, state: 'QUEUED', waitingFor: [], waitedFor: frame.waitingFor, requestId: ctx.newId(), updatedAt: ctx.now() };
      await ctx.store.putFrame(queued);
      await queue(queued, rule, undefined);
    }
    service.wake();
  }

  /** Finished requests, a request a crash left unstored, late frames. */
  async function follow(): Promise<void> {
    const now = ctx.now();
    for (const frame of await ctx.store.findFrames({ states: ['QUEUED', 'WAITING'] })) {
      let next = frame;
      if (frame.state === 'QUEUED') {
        const request = await ctx.store.getRequest(frame.requestId!);
        if (!request) {
          const rule = instrumentByName(instruments, frame.instrument)?.processingRules.find((r) => r.name === frame.rule);
          if (rule) await queue(frame, rule, undefined);
          continue;
        }
        if (FINAL_REQUEST_STATES.includes(request.state)) {
          const product = request.state === 'DONE' ? request.products[0] : undefined;
          const archived = product === undefined ? undefined : await ctx.catalog.getArchived(product);
          next = product !== undefined && archived
            ? { ...frame, state: 'DONE', product, productArchivedAt: archived.archivedAt, updatedAt: now }
            : { ...frame, state: 'FAILED', error: request.error ?? { code: request.state, message: `the request ended ${request.state} with no product` }, updatedAt: now };
          if (next.state === 'FAILED') alert('QUICKLOOK_FAILED', `${frame.archiveId}: quick-look (rule ${frame.rule}) failed: ${next.error!.code} ${next.error!.message}`, frame.archiveId);
        }
      }
      if (next.lateAlertedAt === undefined && isLate(next, lateAfterMs, now)) {
        const took = ((next.productArchivedAt ?? now) - next.completeAt) / 1000;
        const why = next.state === 'WAITING' ? `still waiting for ${next.waitingFor.join(', ')} masters` : next.state === 'DONE' ? `archived ${next.product}` : 'still queued or running';
        alert('QUICKLOOK_LATE', `${next.archiveId}: quick-look (rule ${next.rule}) ${took.toFixed(1)} s after the file was complete, beyond ${lateAfterMs / 1000} s: ${why}`, next.archiveId);
        next = { ...next, lateAlertedAt: now };
      }
      if (next !== frame) await ctx.store.putFrame(next);
    }
  }

  async function autoClose(): Promise<void> {
    // Looked at every 10 s at most: it reads every frame row.
    if (options.closeAfterHours === undefined || ctx.now() - lastAutoClose < 10_000) return;
    lastAutoClose = ctx.now();
    const open = new Map<string, { instrument: string; night: string }>();
    for (const f of await ctx.store.findFrames({ limit: 100_000 })) open.set(`${f.instrument} ${f.night}`, { instrument: f.instrument, night: f.night });
    for (const n of await ctx.store.listNights()) if (n.state !== 'OPEN') open.delete(`${n.instrument} ${n.night}`);
    for (const { instrument, night } of open.values()) {
      const record = await ctx.store.getNight(instrument, night);
      if (record && record.state !== 'OPEN') continue;
      if (ctx.now() >= Date.parse(`${night}T00:00:00Z`) + options.closeAfterHours * 3_600_000) void quickLook.closeNight({ instrument, night, actor: 'schedule' }).catch(report);
    }
  }

  async function tick(): Promise<void> {
    await serial(async () => {
      await follow();
      if (ctx.now() - lastRelease >= 2_000) {
        lastRelease = ctx.now();
        const nights = new Map<string, RuleFrame>();
        for (const f of await ctx.store.findFrames({ states: ['WAITING'] })) nights.set(`${f.instrument} ${f.night}`, f);
        for (const f of nights.values()) {
          const description = instrumentByName(instruments, f.instrument);
          if (description) await release(description, f.night);
        }
      }
    });
    await autoClose();
  }

  const onArchived = (record: FileRecord, file: ArchivedFile): void => {
    if (!instrumentByName(instruments, file.instrument)?.processingRules.length) return;
    void serial(() => take(file, completeAt(record))).catch(report);
  };

  const quickLook: QuickLook = {
    async start() {
      if (listening) return;
      for (const d of instruments) {
        const foreign = d.processingRules.find((r) => r.mode !== 'masters' && r.processor !== ctx.processor.name);
        if (foreign) {
          throw new IngestError('INVALID_OPTIONS', `${d.name} processing rule "${foreign.name}" runs processor "${foreign.processor}"; this service runs "${ctx.processor.name}"`, {
            context: { field: 'processingRules' }, hint: 'run one processing service per pipeline, or name this pipeline in the rule',
          });
        }
      }
      ctx.ingestor.on('archived', onArchived);
      listening = true;
      const hours = options.catchUpHours ?? 36;
      if (hours > 0) {
        const from = new Date(ctx.now() - hours * 3_600_000).toISOString().slice(0, 10);
        for (const d of instruments.filter((i) => i.processingRules.some((r) => r.on === 'arrival' && r.mode !== 'masters'))) {
          const files = (await ctx.catalog.findArchived({ instrument: d.name, level: 0, nightFrom: from, limit: 100_000 })).filter((f) => f.archivedAt >= ctx.now() - hours * 3_600_000);
          for (const file of files) {
            const record = await ctx.catalog.getRecord(file.recordId);
            await serial(() => take(file, record ? completeAt(record) : file.archivedAt));
          }
        }
      }
      for (const n of await ctx.store.listNights()) {
        if (n.state === 'MASTERS' || n.state === 'BATCH') void quickLook.closeNight({ instrument: n.instrument, night: n.night, actor: n.closedBy ?? 'restart' }).catch(report);
      }
      timer = setInterval(() => {
        if (!ticking) ticking = tick().catch(report).finally(() => (ticking = undefined));
      }, options.tickMs ?? 250);
      timer.unref?.();
    },
    async stop() {
      ctx.ingestor.off('archived', onArchived);
      listening = false;
      clearInterval(timer);
      await ticking;
      await chain;
    },
    frames: (filter) => ctx.store.findFrames(filter),
    async status(filter = {}) {
      const frames = await ctx.store.findFrames({ ...filter });
      const nights = (await ctx.store.listNights(filter.instrument ? { instrument: filter.instrument } : {})).filter((n) => filter.night === undefined || n.night === filter.night);
      return { ...summarize(frames, lateAfterMs, ctx.now()), nights };
    },
    closeNight(input) {
      const description = instrumentByName(instruments, input.instrument);
      const key = `${description?.name ?? input.instrument} ${input.night}`;
      const running = closing.get(key);
      if (running) return running;
      // Masters are built under the same lock as arrivals; the batch then runs outside it.
      const done = closeNight(service, { ...input, buildUnder: serial }).finally(() => closing.delete(key));
      closing.set(key, done);
      return done;
    },
    tick,
  };
  return quickLook;
}
