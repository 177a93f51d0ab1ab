/**
 * The processing service: on-the-fly reprocessing with certified calibrations, in the manner of ISO's OFRP. It
 * takes requests (raw frames by archive id, program or night), queues them by priority, and a scheduler runs each
 * in a free processing area (one job per area) through a {@link Processor}; products are archived by the ingestor
 * like any other file, at their level and linked to their raw parents, with provenance in their headers. A request
 * whose inputs, calibration set version and processor version already ran is answered from the result cache.
 * One scheduler per store: at start it requeues the requests a crashed scheduler left RUNNING and cleans every area.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { IngestError } from '../core/errors.js';
import type { ProcessingStore, RequestFilter } from '../core/ports/processing-store.js';
import type { Processor } from '../core/ports/processor.js';
import { queueOrder, queuePosition, resultCacheKey } from '../core/processing/queue.js';
import { createRequest, FINAL_REQUEST_STATES, type ProcessingRequest } from '../core/processing/request.js';
import { resolveCalibration } from '../core/processing/validity.js';
import type { Ingestor } from '../core/runtime/engine.js';
import { instrumentByName } from '../core/instruments/find-instrument.js';
import { cleanArea, type ProcessingArea } from './areas.js';
import { certify, decertify, type CertifyInput, type Certified } from './_calibrations.js';
import type { ServiceContext } from './_context.js';
import { inputOf, selectInputs, type Selection } from './inputs.js';
import { move, runJob, type AbortReason } from './_run-job.js';

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
  type Job = { request: string; controller: AbortController; done: Promise<unknown> };
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
        const queued = queueOrder(await ctx.store.findRequests({ states: ['QUEUED'], limit: 100_000 }));
        for (const request of queued) {
          if (!started) break;
          if (dispatching.has(request.id)) continue;
          const area = areas.find((a) => !busy.has(a.name));
          if (!area) break;
          await dispatch(request, area);
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
    const cacheKey = resultCacheKey(request.inputs.map((i) => i.sha256), choice.setId, request.processor);
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
    const job = { request: request.id, controller, done };
    busy.set(area.name, job);
    const release = (): void => {
      if (busy.get(area.name) === job) busy.delete(area.name);
      pump();
    };
    done = runJob(ctx, begun, area, controller.signal, release).finally(() => {
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
    areas,
    async start() {
      if (started) return;
      for (const request of await ctx.store.findRequests({ states: ['RUNNING'], limit: 100_000 })) {
        await move(ctx, request, { type: 'RESTART', message: `the scheduler restarted while it ran in ${request.area}; the job runs again` }, 'restart');
      }
      for (const area of areas) await cleanArea(area);
      started = true;
      timer = setInterval(pump, options.pollMs ?? 500);
      timer.unref?.();
      pump();
    },
    async stop(stopOptions = {}) {
      started = false;
      clearInterval(timer);
      if (stopOptions.abort) for (const job of running) job.controller.abort({ type: 'shutdown' } satisfies AbortReason);
      await pumping;
      await Promise.allSettled([...running].map((j) => j.done));
    },
    async submit(input) {
      const files = await selectInputs(ctx.catalog, instruments, input, ctx.scienceTypes);
      if (files.length === 0) throw new IngestError('NOT_FOUND', 'the selection names no raw science frame', { hint: 'check the program, night or archive ids (fits-ingest catalog query lists them)' });
      const refused = input.mayUse ? files.find((f) => !input.mayUse!(f.instrument)) : undefined;
      if (refused) throw new IngestError('FORBIDDEN', `${input.requester} may not reprocess ${refused.instrument} frames (${refused.archiveId})`, { context: { file: refused.archiveId } });
      const batch = ctx.newId();
      const requests: ProcessingRequest[] = [];
      for (const file of files) {
        const request = createRequest({
          id: ctx.newId(), requester: input.requester, priority: input.priority ?? 0, instrument: file.instrument, kind: ctx.kind, inputs: [inputOf(instruments, file)],
          calibration: input.calibration ?? 'latest', processor: { name: ctx.processor.name, version: ctx.processor.version }, batch, ...(input.reason ? { reason: input.reason } : {}),
        }, ctx.now());
        await ctx.store.insertRequest(request);
        requests.push(request);
      }
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
      for (;;) {
        const requests = await Promise.all(ids.map((id) => service.get(id)));
        if (requests.every((r) => FINAL_REQUEST_STATES.includes(r.state))) return requests;
        if (now() > deadline) throw new IngestError('TIMEOUT', `requests still unfinished: ${requests.filter((r) => !FINAL_REQUEST_STATES.includes(r.state)).map((r) => r.id).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async certify(input) {
      const certified = await certify(ctx, input);
      const requests: ProcessingRequest[] = [];
      if (input.reprocess && certified.affected.length > 0) {
        const parents = [...new Set(certified.affected.map((p) => p.parents[0]!))];
        requests.push(...(await service.submit({ archiveIds: parents, requester: input.actor, reason: `recertification: ${certified.set.id} replaces ${[...new Set(certified.replaced.map((r) => r.setId))].join(', ')}` })));
      }
      return { ...certified, requests };
    },
    decertify: (input) => decertify(ctx, input),
  };
  return service;
}
