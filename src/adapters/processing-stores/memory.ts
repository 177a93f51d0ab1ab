/**
 * In-memory ProcessingStore: for tests and one-shot runs. Nothing survives the process (use the SQLite store for
 * requests that must survive a restart).
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { CalibrationSet, ValidityRange } from '../../core/processing/calibration-set.js';
import type { ProcessingRequest } from '../../core/processing/request.js';
import type { BatchThrottle, CachedResult, DeliveryRecord, ProcessingStore, ProductProvenance, SchedulerLease } from '../../core/ports/processing-store.js';
import { queueOrder } from '../../core/processing/queue.js';
import { rangeOrder } from './_shared.js';
import { memoryRuleFrames } from './_memory-frames.js';

/** Name of the in-memory store. */
export const MEMORY_PROCESSING_STORE_NAME = 'memory';

/** Creates an empty in-memory processing store. */
export function createMemoryProcessingStore(): ProcessingStore {
  const sets = new Map<string, CalibrationSet>();
  let ranges: ValidityRange[] = [];
  const requests = new Map<string, ProcessingRequest>();
  const cache = new Map<string, CachedResult>();
  const products: ProductProvenance[] = [];
  const throttles = new Map<string, BatchThrottle>();
  const schedulers = new Map<string, SchedulerLease>();
  const deliveries = new Map<string, DeliveryRecord>();
  const settings = new Map<string, unknown>();
  const copy = <T>(value: T): T => structuredClone(value);

  return {
    name: MEMORY_PROCESSING_STORE_NAME,
    async init() {},
    async close() {},

    async addSet(set) {
      if (sets.has(set.id)) throw new IngestError('CONFLICT', `calibration set ${set.id} exists already`, { hint: 'sets are immutable: certify a new version' });
      sets.set(set.id, copy(set));
    },
    async getSet(id) {
      const set = sets.get(id);
      return set && copy(set);
    },
    async listSets(filter = {}) {
      return [...sets.values()]
        .filter((s) => (filter.instrument === undefined || s.instrument === filter.instrument) && (filter.kind === undefined || s.kind === filter.kind))
        .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
        .map(copy);
    },
    async listRanges(filter = {}) {
      return ranges.filter((r) => filter.instrument === undefined || r.instrument === filter.instrument).sort(rangeOrder).map(copy);
    },
    async replaceRanges(instrument, kind, next) {
      ranges = [...ranges.filter((r) => r.instrument !== instrument || r.kind !== kind), ...next.map(copy)];
    },

    async insertRequest(request) {
      if (requests.has(request.id)) throw new IngestError('CONFLICT', `request ${request.id} exists already`);
      requests.set(request.id, copy(request));
    },
    async getRequest(id) {
      const request = requests.get(id);
      return request && copy(request);
    },
    async updateRequest(request) {
      const stored = requests.get(request.id);
      if (!stored) throw new IngestError('REQUEST_NOT_FOUND', `no request ${request.id}`);
      if (stored.version + 1 !== request.version) throw new IngestError('CONFLICT', `request ${request.id} changed meanwhile (version ${stored.version}, not ${request.version - 1})`);
      requests.set(request.id, copy(request));
    },
    async findRequests(filter = {}) {
      return [...requests.values()]
        .filter((r) => (filter.states === undefined || filter.states.includes(r.state)) && (filter.requester === undefined || r.requester === filter.requester) && (filter.batch === undefined || r.batch === filter.batch))
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
        .slice(0, filter.limit ?? 1000)
        .map(copy);
    },

    async getCached(key) {
      const hit = cache.get(key);
      return hit && copy(hit);
    },
    async putCached(result) {
      cache.set(result.key, copy(result));
    },

    async addProduct(product) {
      for (const p of products) if (p.archiveId === product.archiveId && p.supersededBy === undefined) p.supersededBy = product.requestId;
      products.push(copy(product));
    },
    async productsBuiltWith(ids) {
      return products.filter((p) => p.supersededBy === undefined && ids.includes(p.calibrationSetId)).map(copy);
    },
    async productHistory(archiveId) {
      return products.filter((p) => p.archiveId === archiveId).map(copy);
    },

    async nextQueued(limit) {
      return queueOrder([...requests.values()]).slice(0, limit).map(copy);
    },
    async insertRequests(list, throttle) {
      const clash = list.find((r) => requests.has(r.id));
      if (clash) throw new IngestError('CONFLICT', `request ${clash.id} exists already`);
      for (const r of list) requests.set(r.id, copy(r));
      if (throttle) throttles.set(throttle.batch, copy(throttle));
    },
    async getThrottle(batch) {
      const t = throttles.get(batch);
      return t && copy(t);
    },
    async findThrottles(key) {
      return [...throttles.values()].filter((t) => t.key === key).sort((a, b) => b.createdAt - a.createdAt).map(copy);
    },
    async takeBatchSlot(batch, now) {
      const t = throttles.get(batch);
      if (!t) return true;
      if (t.nextAt > now) return false;
      t.nextAt = now + t.intervalMs;
      return true;
    },

    async putScheduler(lease) {
      schedulers.set(lease.id, copy(lease));
    },
    async listSchedulers() {
      return [...schedulers.values()].map(copy);
    },
    async removeScheduler(id) {
      schedulers.delete(id);
    },

    async claimDelivery(key, at, to) {
      if (deliveries.has(key)) return false;
      deliveries.set(key, { key, claimedAt: at, to: [...to] });
      return true;
    },
    async finishDelivery(key, outcome) {
      const d = deliveries.get(key);
      if (d) Object.assign(d, outcome);
    },
    async getDelivery(key) {
      const d = deliveries.get(key);
      return d && copy(d);
    },

    async getSetting(key) {
      return copy(settings.get(key));
    },
    async setSetting(key, value) {
      settings.set(key, copy(value));
    },
    ...memoryRuleFrames(),
  };
}
