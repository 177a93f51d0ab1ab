/** The ProcessingStore conformance tests both stores run (kept in test/ for now: the exported suites take a narrower runner). */
import { calibrationSetId, type CalibrationSet, type ValidityRange } from '../../../src/core/processing/calibration-set.js';
import { createRequest, transitionRequest } from '../../../src/core/processing/request.js';
import type { ProcessingStore, ProductProvenance } from '../../../src/core/ports/processing-store.js';
import { expect, it } from 'vitest';

const set = (version: number): CalibrationSet => ({ id: calibrationSetId('KCWI', 'imaging', version), instrument: 'KCWI', kind: 'imaging', version, files: [{ role: 'bias', archiveId: 'KB.1', sha256: 'b'.repeat(64) }], createdAt: 1, createdBy: 't' });
const range = (version: number, from: number, to: number | null): ValidityRange => ({ setId: calibrationSetId('KCWI', 'imaging', version), instrument: 'KCWI', kind: 'imaging', version, from, to, certifiedAt: 1, certifiedBy: 't' });
const product = (archiveId: string, requestId: string, setId: string): ProductProvenance => ({ archiveId, requestId, parents: ['KB.2'], inputDigests: ['c'.repeat(64)], observedAt: 5, instrument: 'KCWI', calibrationSetId: setId, processor: { name: 'p', version: '1' }, sha256: 'd'.repeat(64), archivedAt: 9 });

/** Runs the ProcessingStore conformance tests; `setup` returns a fresh, initialized store. */
export function processingStoreConformance(setup: () => Promise<ProcessingStore>): void {

  it('stores immutable sets and replaces the ranges of one kind at once', async () => {
    const store = await setup();
    await store.addSet(set(1));
    await store.addSet(set(2));
    await expect(store.addSet(set(1))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await store.listSets({ instrument: 'KCWI' })).map((s) => s.version)).toEqual([1, 2]);
    expect(await store.getSet('KCWI/imaging/v2')).toMatchObject({ files: [{ role: 'bias' }] });
    await store.replaceRanges('KCWI', 'imaging', [range(2, 50, null), range(1, 0, 50)]);
    await store.replaceRanges('KCWI', 'imaging', [range(1, 0, 10), range(2, 50, null)]);
    expect((await store.listRanges()).map((r) => [r.version, r.from, r.to])).toEqual([[1, 0, 10], [2, 50, null]]);
    await store.close();
  });

  it('stores requests with optimistic concurrency and finds them by state, requester and batch', async () => {
    const store = await setup();
    const r = createRequest({ id: 'r1', requester: 'ana', priority: 0, instrument: 'KCWI', kind: 'imaging', inputs: [], calibration: 'latest', processor: { name: 'p', version: '1' }, batch: 'b1' }, 1);
    await store.insertRequest(r);
    await store.insertRequest({ ...r, id: 'r2', requester: 'bob', batch: 'b2', createdAt: 2 });
    const started = transitionRequest(r, { type: 'START', area: 'a', choice: { setId: 'S', version: 1, exact: true, distanceMs: 0, reason: 'certified' }, cacheKey: 'k' }, 3);
    await store.updateRequest(started);
    await expect(store.updateRequest(started)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.updateRequest({ ...started, id: 'nope' })).rejects.toMatchObject({ code: 'REQUEST_NOT_FOUND' });
    expect(await store.getRequest('r1')).toMatchObject({ state: 'RUNNING', area: 'a', history: [{ to: 'QUEUED' }, { to: 'RUNNING' }] });
    expect((await store.findRequests({ states: ['QUEUED'] })).map((x) => x.id)).toEqual(['r2']);
    expect((await store.findRequests({ requester: 'ana' })).map((x) => x.id)).toEqual(['r1']);
    expect((await store.findRequests({ batch: 'b2' })).map((x) => x.id)).toEqual(['r2']);
    await store.close();
  });

  it('keeps the result cache and product provenance, marking older products superseded', async () => {
    const store = await setup();
    expect(await store.getCached('k')).toBeUndefined();
    await store.putCached({ key: 'k', products: ['P1'], requestId: 'r1', storedAt: 1 });
    expect(await store.getCached('k')).toMatchObject({ products: ['P1'] });
    await store.addProduct(product('P1', 'r1', 'S/v1'));
    await store.addProduct(product('P2', 'r1', 'S/v1'));
    expect((await store.productsBuiltWith(['S/v1'])).map((p) => p.archiveId)).toEqual(['P1', 'P2']);
    await store.addProduct(product('P1', 'r2', 'S/v2'));
    expect((await store.productsBuiltWith(['S/v1'])).map((p) => p.archiveId)).toEqual(['P2']);
    expect((await store.productHistory('P1')).map((p) => [p.calibrationSetId, p.supersededBy ?? null])).toEqual([['S/v1', 'r2'], ['S/v2', null]]);
    await store.close();
  });

  it('gives QUEUED requests in queue order, inserts a throttled batch at once, and hands out its slots one per interval', async () => {
    const store = await setup();
    const req = (id: string, priority: number, at: number, batch?: string) => createRequest({ id, requester: 'a', priority, instrument: 'KCWI', kind: 'imaging', inputs: [], calibration: 'latest', processor: { name: 'p', version: '1' }, ...(batch ? { batch, throttled: true } : {}) }, at);
    await store.insertRequest(req('low', 0, 1));
    await store.insertRequests([req('b1', -10, 2, 'B'), req('b2', -10, 3, 'B')], { batch: 'B', key: 'all:KCWI', intervalMs: 1000, nextAt: 100, total: 2, createdAt: 2 });
    await store.insertRequest(req('high', 5, 4));
    expect((await store.nextQueued(10)).map((r) => r.id)).toEqual(['high', 'low', 'b1', 'b2']);
    expect((await store.nextQueued(2)).map((r) => r.id)).toEqual(['high', 'low']);
    // all or nothing: a clash leaves no request of the batch behind
    await expect(store.insertRequests([req('c1', 0, 5, 'C'), req('low', 0, 5, 'C')])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await store.getRequest('c1')).toBeUndefined();
    expect((await store.findThrottles('all:KCWI')).map((t) => t.batch)).toEqual(['B']);
    expect(await store.takeBatchSlot('B', 99)).toBe(false);
    expect(await store.takeBatchSlot('B', 100)).toBe(true);
    expect(await store.takeBatchSlot('B', 1099)).toBe(false);
    expect(await store.takeBatchSlot('B', 1100)).toBe(true);
    expect(await store.getThrottle('B')).toMatchObject({ nextAt: 2100, intervalMs: 1000 });
    expect(await store.takeBatchSlot('unthrottled', 0)).toBe(true);
    await store.close();
  });

  it('keeps scheduler leases, claims a delivery once, and stores settings', async () => {
    const store = await setup();
    const lease = { id: 's1', host: 'h', pid: 1, areas: ['a1'], startedAt: 1, heartbeatAt: 1 };
    await store.putScheduler(lease);
    await store.putScheduler({ ...lease, heartbeatAt: 5 });
    await store.putScheduler({ ...lease, id: 's2', areas: ['a2'] });
    expect((await store.listSchedulers()).map((l) => [l.id, l.heartbeatAt])).toEqual([['s1', 5], ['s2', 1]]);
    await store.removeScheduler('s1');
    expect((await store.listSchedulers()).map((l) => l.id)).toEqual(['s2']);
    expect(await store.claimDelivery('B', 7, ['ana@example.edu'])).toBe(true);
    expect(await store.claimDelivery('B', 8, ['ana@example.edu'])).toBe(false);
    await store.finishDelivery('B', { sentAt: 9 });
    expect(await store.getDelivery('B')).toEqual({ key: 'B', claimedAt: 7, to: ['ana@example.edu'], sentAt: 9 });
    expect(await store.getSetting('auto-reprocess:KCWI')).toBeUndefined();
    await store.setSetting('auto-reprocess:KCWI', { enabled: true });
    expect(await store.getSetting('auto-reprocess:KCWI')).toEqual({ enabled: true });
    await store.close();
  });
}
