/**
 * ProcessingStore port: the persistent state of reprocessing — calibration sets and their certified validity
 * ranges, processing requests (so they survive a restart), the result cache, and the provenance of every product
 * a request archived. Adapters: memory (tests) and SQLite (its own tables in any SQLite file, the catalog's
 * included).
 *
 * @module
 */
import type { CalibrationSet, ValidityRange } from '../processing/calibration-set.js';
import type { FrameState, NightRecord, RuleFrame } from '../processing/quicklook.js';
import type { ProcessingRequest, RequestState } from '../processing/request.js';

/** What the result cache remembers for one key. */
export interface CachedResult {
  key: string;
  /** Archive ids of the products. */
  products: string[];
  requestId: string;
  storedAt: number;
}

/** Provenance of one archived product. */
export interface ProductProvenance {
  archiveId: string;
  requestId: string;
  /** Archive ids of the raw parents. */
  parents: string[];
  /** SHA-256 of each input, in the order of `parents`. */
  inputDigests: string[];
  /** Observation time of the first parent (epoch ms): what recertification compares with replaced ranges. */
  observedAt: number;
  instrument: string;
  calibrationSetId: string;
  processor: { name: string; version: string };
  /** SHA-256 of the archived product. */
  sha256: string;
  archivedAt: number;
  /** Set when a newer product replaced this one (its archive id stays; the catalog keeps the old version). */
  supersededBy?: string;
}

/** Select requests. */
export interface RequestFilter {
  states?: RequestState[];
  requester?: string;
  batch?: string;
  /** @default 1000 */
  limit?: number;
}

/**
 * A scheduler sharing the store (migration 2): the processing areas it runs jobs in and its last sign of life. Area
 * names are unique among live schedulers, so a RUNNING request's area names the scheduler that runs it.
 */
export interface SchedulerLease {
  id: string;
  /** Host name and process id: a scheduler on the same host whose process is gone is dead without waiting. */
  host: string;
  pid: number;
  areas: string[];
  startedAt: number;
  heartbeatAt: number;
}

/** A throttled batch of requests (bulk reprocessing): at most one of its requests starts per `intervalMs`. */
export interface BatchThrottle {
  batch: string;
  /** What the batch reprocesses (instrument, calibration, processor): a second identical bulk request resumes it. */
  key: string;
  intervalMs: number;
  /** Earliest time the next request of the batch may start. */
  nextAt: number;
  total: number;
  createdAt: number;
}

/** Outcome of telling a requester that a batch (or a lone request) finished. */
export interface DeliveryRecord {
  /** The batch id, or the request id of a request without batch. */
  key: string;
  claimedAt: number;
  to: string[];
  sentAt?: number;
  error?: string;
}

/** Persistent state of reprocessing. */
export interface ProcessingStore extends RuleFrameStore {
  readonly name: string;
  /** Creates or migrates the store's own tables. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;

  /** Stores a new set; throws CONFLICT when its id exists (sets are immutable). */
  addSet(set: CalibrationSet): Promise<void>;
  getSet(id: string): Promise<CalibrationSet | undefined>;
  listSets(filter?: { instrument?: string; kind?: string }): Promise<CalibrationSet[]>;
  /** Every certified range (optionally of one instrument), ordered by instrument, kind, start. */
  listRanges(filter?: { instrument?: string }): Promise<ValidityRange[]>;
  /** Replaces every range of one instrument and kind atomically (the result of certify/decertify). */
  replaceRanges(instrument: string, kind: string, ranges: readonly ValidityRange[]): Promise<void>;

  insertRequest(request: ProcessingRequest): Promise<void>;
  getRequest(id: string): Promise<ProcessingRequest | undefined>;
  /** Stores a move; `request.version` must be exactly one more than the stored one (else CONFLICT). */
  updateRequest(request: ProcessingRequest): Promise<void>;
  /** Oldest first. */
  findRequests(filter?: RequestFilter): Promise<ProcessingRequest[]>;

  getCached(key: string): Promise<CachedResult | undefined>;
  putCached(result: CachedResult): Promise<void>;

  /** Stores a product's provenance; a newer one of the same archive id marks the older superseded. */
  addProduct(product: ProductProvenance): Promise<void>;
  /** Current (not superseded) products built with one of these set ids. */
  productsBuiltWith(calibrationSetIds: readonly string[]): Promise<ProductProvenance[]>;
  /** Every provenance row of an archive id, oldest first. */
  productHistory(archiveId: string): Promise<ProductProvenance[]>;

  /** QUEUED requests in queue order (priority, then oldest), at most `limit`. */
  nextQueued(limit: number): Promise<ProcessingRequest[]>;
  /** Inserts requests atomically (all or none), with the throttle of their batch when given. */
  insertRequests(requests: readonly ProcessingRequest[], throttle?: BatchThrottle): Promise<void>;
  getThrottle(batch: string): Promise<BatchThrottle | undefined>;
  /** Throttled batches with this key, newest first. */
  findThrottles(key: string): Promise<BatchThrottle[]>;
  /** Atomically takes the batch's next start slot at `now` (false if it is not due yet). Unthrottled batches: true. */
  takeBatchSlot(batch: string, now: number): Promise<boolean>;

  /** Stores or refreshes a scheduler's lease. */
  putScheduler(lease: SchedulerLease): Promise<void>;
  listSchedulers(): Promise<SchedulerLease[]>;
  removeScheduler(id: string): Promise<void>;

  /** Claims the delivery of `key`: true for the first caller only, so a batch is announced once. */
  claimDelivery(key: string, at: number, to: readonly string[]): Promise<boolean>;
  finishDelivery(key: string, outcome: { sentAt?: number; error?: string }): Promise<void>;
  getDelivery(key: string): Promise<DeliveryRecord | undefined>;

  /** A stored setting (e.g. `auto-reprocess:KCWI`), as JSON. */
  getSetting(key: string): Promise<unknown>;
  setSetting(key: string, value: unknown): Promise<void>;
}

/** Select frames taken by on-arrival processing rules. */
export interface RuleFrameFilter {
  instrument?: string;
  night?: string;
  states?: FrameState[];
  /** @default 100000 */
  limit?: number;
}

/**
 * The state of quick-look on arrival and of closing nights (part of every {@link ProcessingStore}; SQLite
 * migration 3): each frame an on-arrival rule took, and each night's masters and close.
 */
export interface RuleFrameStore {
  /** Stores a new frame; false (nothing changed) when that archive id and rule are stored already. */
  addFrame(frame: RuleFrame): Promise<boolean>;
  /** Replaces a stored frame (same archive id and rule). */
  putFrame(frame: RuleFrame): Promise<void>;
  /** Oldest archived first. */
  findFrames(filter?: RuleFrameFilter): Promise<RuleFrame[]>;
  getNight(instrument: string, night: string): Promise<NightRecord | undefined>;
  putNight(night: NightRecord): Promise<void>;
  /** Newest night first. */
  listNights(filter?: { instrument?: string }): Promise<NightRecord[]>;
}
