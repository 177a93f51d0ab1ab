/**
 * The processing service: on-the-fly reprocessing with certified calibrations, in the manner of ISO's OFRP. It
 * takes requests (raw frames by archive id, program or night), queues them by priority, and a scheduler runs each
 * in a free processing area (one job per area) through a {@link Processor}; products are archived by the ingestor
 * like any other file, at their level and linked to their raw parents, with provenance in their headers. A request
 * whose inputs, calibration set version and processor version already ran is answered from the result cache.
 * Several schedulers (processes or hosts) may share one store, each with its own area names (`_leases.ts`): at
 * start a scheduler requeues what a crash left RUNNING in its areas or in the areas of a dead scheduler, and cleans
 * its areas. A throttled batch (bulk reprocessing) starts at most one request per interval and none while live
 * ingestion has work. With `delivery`, the requester is told once their batch is finished.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { IngestError } from '../core/errors.js';
import type { ProcessingStore, RequestFilter } from '../core/ports/processing-store.js';
import type { Processor } from '../core/ports/processor.js';
import { queuePosition, resultCacheKey } from '../core/processing/queue.js';
import { createRequest, FINAL_REQUEST_STATES, type ProcessingRequest } from '../core/processing/request.js';
import { resolveCalibration } from '../core/processing/validity.js';
import type { Ingestor } from '../core/runtime/engine.js';
import { instrumentByName } from '../core/instruments/find-instrument.js';
import { cleanArea, type ProcessingArea } from './areas.js';
import { certify, decertify, type CertifyInput, type Certified } from './_calibrations.js';
import type { ServiceContext } from './_context.js';
import { inputOf, selectInputs, type Selection } from './inputs.js';
import { move, runJob, type AbortReason } from './_run-job.js';
import { deliverIfFinished, type DeliveryOptions } from './_delivery.js';
import { newLease, register, requeueOrphans } from './_leases.js';
import { autoReprocess, bulkBatch, type AutoReprocess } from './_bulk.js';
import type { BatchThrottle } from '../core/ports/processing-store.js';

/** Options of {@link createProcessingService}. */
export interface ProcessingServiceOptions {
  store: ProcessingStore;
  /** The engine that archives the products (its catalog is where inputs and calibrations are found). */
  ingestor: Ingestor;
  processor: Processor;
  areas: readonly ProcessingArea[];
  /** Calibration kind the processor needs. @default 'imaging' */
  kind?: string;
  /** Image types a program or night selection reprocesses. @default ['object'] */
  scienceTypes?: string[];
  /** How far (hours) the closest set may be when none is certified for a frame. @default the largest withinHours of the instrument's calibration rules for its science types, else 0 */
  fallbackHours?: number;
  /** Where products wait to be archived. @default `<first area>/../outbox` */
  outbox?: string;
  /** Look for requests stored by other processes this often. @default 500 */
  pollMs?: number;
  now?: () => number;
  /** Tell requesters when their products are ready (e.g. through the mail notifier). */
  delivery?: DeliveryOptions;
  /** Requeue what a recertification replaced without being asked (`reprocess` of certify). @default the store's `calib auto-reprocess` setting of the instrument, else false */
  reprocessOnRecertify?: boolean;
  /** This scheduler's id in the store. @default a random id */
  schedulerId?: string;
  /** A scheduler that has not renewed its lease for this long is dead; its RUNNING requests run again. @default 30000 */
  leaseMs?: number;
  /** Throttled (bulk) requests wait while the ingestor has files queued or running. @default true */
  yieldToIngestion?: boolean;
}

/** What {@link ProcessingService.submit} takes. */
export interface SubmitInput extends Selection {
  requester: string;
  /** @default 'latest' */
  calibration?: 'latest' | number;
  /** @default 0 */
  priority?: number;
  reason?: string;
  /** Refuse (FORBIDDEN, nothing queued) when a selected frame's instrument is not allowed, e.g. by a token. */
  mayUse?: (instrument: string) => boolean;
  /**
   * Bulk reprocessing: the batch starts at most one request per `intervalMs` and none while live ingestion has
   * work; priority defaults to -10. The same bulk selection submitted again while its batch is unfinished resumes
   * that batch (returns its requests) instead of queueing a second one.
   */
  throttle?: { intervalMs: number };
}

/** A request with its place in the queue. */
export type RequestView = ProcessingRequest & { position?: number };

/** A running processing service. */
export interface ProcessingService {
  /** Requeues requests a crash left RUNNING, cleans the areas, starts scheduling. */
  start(): Promise<void>;
  /** Stops scheduling; running jobs finish (or are killed and requeued with `{ abort: true }`). */
  stop(options?: { abort?: boolean }): Promise<void>;
  /** One QUEUED request per selected raw frame, sharing a batch id. */
  submit(input: SubmitInput): Promise<ProcessingRequest[]>;
  get(id: string): Promise<RequestView>;
  list(filter?: RequestFilter): Promise<RequestView[]>;
  cancel(id: string, actor: string): Promise<ProcessingRequest>;
  /** Resolves once every given request is DONE, FAILED or CANCELLED. */
  settled(ids: readonly string[], options?: { timeoutMs?: number }): Promise<ProcessingRequest[]>;
  /** Certifies a new set version; with `replace` and `reprocess`, queues exactly the products built with what it replaced. */
  certify(input: CertifyInput & { reprocess?: boolean }): Promise<Certified & { requests: ProcessingRequest[] }>;
  decertify(input: Parameters<typeof decertify>[1]): ReturnType<typeof decertify>;
  /** Reads or sets (stored, for every process) whether recertifying an instrument's sets requeues what they replaced. */
  autoReprocess(instrument: string, value?: AutoReprocess): Promise<AutoReprocess>;
  /** Looks at the queue now (after a request was stored directly, e.g. by the quick-look listener). */
  wake(): void;
  readonly context: ServiceContext;
  /** The processing areas jobs run in (the operator monitor shows them). */
  readonly areas: readonly ProcessingArea[];
}

/** Creates a processing service (not started). */
export function createProcessingService(options: ProcessingServiceOptions): ProcessingService {
  const areas = [...options.areas];
  const instruments = options.ingestor.instruments;
  const now = options.now ?? Date.now;
  const ctx: ServiceContext = {
    store: options.store, ingestor: options.ingestor, catalog: options.ingestor.catalog, processor: options.processor, instruments,
    kind: options.kind ?? 'imaging', scienceTypes: options.scienceTypes ?? ['object'], outbox: options.outbox ?? join(areas[0]!.dir, '..', 'outbox'), now, newId: randomUUID,
    fallbackMs(instrument) {
      if (options.fallbackHours !== undefined) return options.fallbackHours * 3_600_000;
      const rules = instrumentByName(instruments, instrument)?.calibrationRules.filter((r) => r.scienceTypes.some((t) => ctx.scienceTypes.includes(t))) ?? [];
      return Math.max(0, ...rules.map((r) => r.withinHours)) * 3_600_000;
    },
  };
  type Job = { request: string; area: string; controller: AbortController; done: Promise<unknown> };
  const leaseMs = options.leaseMs ?? 30_000;
  const lease = newLease(options.schedulerId ?? randomUUID(), areas, now());
  const deliveries = new Set<Promise<void>>();
  if (options.delivery) {
    const delivery = options.delivery;
    ctx.onFinal = (request) => {
      const p = deliverIfFinished(ctx, delivery, request).finally(() => deliveries.delete(p));
      deliveries.add(p);
    };
  }
  /** Live ingestion has work: files queued or running in the ingestor beyond this service's own products. */
  const ingestionBusy = (): boolean => {
    if (options.yieldToIngestion === false) return false;
    const archiving = [...running].filter((j) => busy.get(j.area) !== j).length;
    const load = ctx.ingestor.load();
    return load.running + load.queued > archiving;
  };
  /** Renews the lease and requeues what dead schedulers left RUNNING. */
  async function beat(): Promise<void> {
    if (now() - lease.heartbeatAt < leaseMs / 3) return;
    lease.heartbeatAt = now();
    await ctx.store.putScheduler(lease);
    if ((await requeueOrphans(ctx, lease, leaseMs, false)).length > 0) pump();
  }
  /** Areas in use, by name (an area is freed once its job's pipeline ended and it is clean again). */
  const busy = new Map<string, Job>();
  /** Jobs not finished yet (their products may still be being archived after the area was freed). */
  const running = new Set<Job>();
  const dispatching = new Set<string>();
  let started = false;
  let pumping: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  /** Takes queued requests in order while areas are free. Re-entrant calls coalesce. */
  function pump(): void {
    if (!started) return;
    if (pumping) return void (again = true);
    pumping = (async () => {
      do {
        again = false;
        if (areas.every((a) => busy.has(a.name))) break;
        const waiting = new Set<string>(); // throttled batches not due (or yielding to ingestion) in this round
        // One job per raw frame at a time (in any scheduler): two would archive the same product concurrently.
        const inUse = new Set((await ctx.store.findRequests({ states: ['RUNNING'], limit: 100_000 })).flatMap((r) => r.inputs.map((i) => i.archiveId)));
        for (const limit of [areas.length + 16, 100_000]) {
          const queued = await ctx.store.nextQueued(limit);
          for (const request of queued) {
            if (!started) break;
            if (dispatching.has(request.id) || waiting.has(request.batch ?? '') || request.inputs.some((i) => inUse.has(i.archiveId))) continue;
            const area = areas.find((a) => !busy.has(a.name));
            if (!area) break;
            if (request.throttled && request.batch && (ingestionBusy() || !(await ctx.store.takeBatchSlot(request.batch, now())))) {
              waiting.add(request.batch);
              continue;
            }
            await dispatch(request, area);
            for (const i of request.inputs) inUse.add(i.archiveId);
          }
          if (queued.length < limit || waiting.size === 0 || areas.every((a) => busy.has(a.name))) break;
        }
      } while (again && started);
    })()
      .catch(() => {})
      .finally(() => (pumping = undefined));
  }

  async function dispatch(request: ProcessingRequest, area: ProcessingArea): Promise<void> {
    let choice;
    try {
      const ranges = await ctx.store.listRanges({ instrument: request.instrument });
      choice = resolveCalibration(ranges, { instrument: request.instrument, kind: request.kind, at: request.inputs[0]!.observedAt, calibration: request.calibration, fallbackMs: ctx.fallbackMs(request.instrument) });
    } catch (error) {
      const e = error instanceof IngestError ? error : new IngestError('INTERNAL', String(error));
      await move(ctx, request, { type: 'FAIL', code: e.code, message: e.detail, log: '' }).catch(() => {});
      return;
    }
    // A quick-look and a full reduction of the same frame are different products: the mode is part of the key.
    const cacheKey = resultCacheKey(request.inputs.map((i) => i.sha256), choice.setId, request.processor) + (request.mode ? `|${request.mode}` : '');
    const hit = await ctx.store.getCached(cacheKey);
    if (hit && (await Promise.all(hit.products.map((p) => ctx.catalog.getArchived(p)))).every(Boolean)) {
      await move(ctx, request, { type: 'CACHED', choice, cacheKey, products: hit.products }).catch(() => {});
      return;
    }
    let begun: ProcessingRequest;
    try {
      begun = await move(ctx, request, { type: 'START', area: area.name, choice, cacheKey });
    } catch {
      return; // cancelled or taken meanwhile
    }
    const controller = new AbortController();
    dispatching.add(request.id);
    let done: Promise<unknown> = Promise.resolve();
    const job: Job = { request: request.id, area: area.name, controller, done };
    busy.set(area.name, job);
    const release = (): void => {
      if (busy.get(area.name) === job) busy.delete(area.name);
      pump();
    };
    done = runJob(ctx, begun, area, controller.signal, release).catch(() => {}).finally(() => {
      running.delete(job);
      dispatching.delete(request.id);
      pump();
    });
    job.done = done;
    running.add(job);
  }

  async function view(request: ProcessingRequest, all?: ProcessingRequest[]): Promise<RequestView> {
    if (request.state !== 'QUEUED') return request;
    const queued = all ?? (await ctx.store.findRequests({ states: ['QUEUED'], limit: 100_000 }));
    const position = queuePosition(queued, request.id);
    return position === undefined ? request : { ...request, position };
  }

  const service: ProcessingService = {
    context: ctx,
    wake: () => pump(),
    areas,
    async start() {
      if (started) return;
      lease.startedAt = lease.heartbeatAt = now();
      await register(ctx, lease, leaseMs);
      await requeueOrphans(ctx, lease, leaseMs, true);
      for (const area of areas) await cleanArea(area);
      started = true;
      timer = setInterval(() => {
        beat().catch(() => {});
        pump();
      }, options.pollMs ?? 500);
      timer.unref?.();
      pump();
    },
    async stop(stopOptions = {}) {
      started = false;
      clearInterval(timer);
      if (stopOptions.abort) for (const job of running) job.controller.abort({ type: 'shutdown' } satisfies AbortReason);
      await pumping;
      await Promise.allSettled([...running].map((j) => j.done));
      await Promise.allSettled([...deliveries]);
      await ctx.store.removeScheduler(lease.id).catch(() => {});
    },
    async submit(input) {
      const resumed = input.throttle ? await bulkBatch(ctx, input).open() : undefined;
      if (resumed) return resumed;
      const files = await selectInputs(ctx.catalog, instruments, input, ctx.scienceTypes);
      if (files.length === 0) throw new IngestError('NOT_FOUND', 'the selection names no raw science frame', { hint: 'check the program, night or archive ids (fits-ingest catalog query lists them)' });
      const refused = input.mayUse ? files.find((f) => !input.mayUse!(f.instrument)) : undefined;
      if (refused) throw new IngestError('FORBIDDEN', `${input.requester} may not reprocess ${refused.instrument} frames (${refused.archiveId})`, { context: { file: refused.archiveId } });
      const batch = ctx.newId();
      const requests: ProcessingRequest[] = [];
      for (const file of files) {
        const request = createRequest({
          id: ctx.newId(), requester: input.requester, priority: input.priority ?? (input.throttle ? -10 : 0), instrument: file.instrument, kind: ctx.kind, inputs: [inputOf(instruments, file)],
          calibration: input.calibration ?? 'latest', processor: { name: ctx.processor.name, version: ctx.processor.version }, batch, ...(input.reason ? { reason: input.reason } : {}),
          ...(input.throttle ? { throttled: true } : {}),
        }, ctx.now());
        requests.push(request);
      }
      const throttle: BatchThrottle | undefined = input.throttle && { batch, key: bulkBatch(ctx, input).key, intervalMs: input.throttle.intervalMs, nextAt: ctx.now(), total: requests.length, createdAt: ctx.now() };
      await ctx.store.insertRequests(requests, throttle);
      pump();
      return requests;
    },
    async get(id) {
      const request = await ctx.store.getRequest(id);
      if (!request) throw new IngestError('REQUEST_NOT_FOUND', `no request ${id}`, { context: { request: id } });
      return view(request);
    },
    async list(filter = {}) {
      const requests = await ctx.store.findRequests(filter);
      const queued = await ctx.store.findRequests({ states: ['QUEUED'], limit: 100_000 });
      return Promise.all(requests.map((r) => view(r, queued)));
    },
    async cancel(id, actor) {
      const request = await service.get(id);
      const job = [...running].find((j) => j.request === id);
      if (job) {
        job.controller.abort({ type: 'cancel', actor } satisfies AbortReason);
        await job.done;
        return service.get(id);
      }
      if (request.state === 'RUNNING') throw new IngestError('UNSUPPORTED_OPERATION', `request ${id} runs under another scheduler`, { hint: 'cancel it through the process that runs it (its HTTP API)' });
      return move(ctx, request, { type: 'CANCEL', actor }, actor);
    },
    async settled(ids, settleOptions = {}) {
      const deadline = now() + (settleOptions.timeoutMs ?? 3_600_000);
      // A finished request never moves again: each poll reads only up to the first unfinished one.
      const finished = new Map<string, ProcessingRequest>();
      for (;;) {
        for (const id of ids) {
          if (finished.has(id)) continue;
          const request = (await ctx.store.getRequest(id)) ?? (await service.get(id));
          if (!FINAL_REQUEST_STATES.includes(request.state)) break;
          finished.set(id, request);
        }
        if (ids.every((id) => finished.has(id))) return ids.map((id) => finished.get(id)!);
        if (now() > deadline) throw new IngestError('TIMEOUT', `requests still unfinished: ${ids.filter((id) => !finished.has(id)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async certify(input) {
      const certified = await certify(ctx, input);
      const requests: ProcessingRequest[] = [];
      const auto = input.reprocess === undefined && options.reprocessOnRecertify === undefined ? await autoReprocess(ctx, input.instrument) : undefined;
      if ((input.reprocess ?? options.reprocessOnRecertify ?? auto?.enabled) && certified.affected.length > 0) {
        const parents = [...new Set(certified.affected.map((p) => p.parents[0]!))];
        const reason = `recertification: ${certified.set.id} replaces ${[...new Set(certified.replaced.map((r) => r.setId))].join(', ')}${auto?.enabled ? ' (auto-reprocess)' : ''}`;
        requests.push(...(await service.submit({ archiveIds: parents, requester: auto?.requester ?? input.actor, reason, ...(auto?.intervalMs ? { throttle: { intervalMs: auto.intervalMs } } : {}) })));
      }
      return { ...certified, requests };
    },
    decertify: (input) => decertify(ctx, input),
    autoReprocess: (instrument, value) => autoReprocess(ctx, instrument, value),
  };
  return service;
}
