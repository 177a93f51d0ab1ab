import { describe, expect, it } from 'vitest';
import { queueOrder, queuePosition, resultCacheKey } from '../../../src/core/processing/queue.js';
import { createRequest, transitionRequest, type ProcessingRequest } from '../../../src/core/processing/request.js';

const clock = { t: 1_000, now: () => clock.t, advance: (ms: number) => void (clock.t += ms) };
const choice = { setId: 'KCWI/imaging/v1', version: 1, exact: true, distanceMs: 0, reason: 'certified' };

function request(id: string, priority = 0): ProcessingRequest {
  return createRequest(
    { id, requester: 'ana', priority, instrument: 'KCWI', kind: 'imaging', inputs: [{ archiveId: 'KB.1', sha256: 'a'.repeat(64), observedAt: 0 }], calibration: 'latest', processor: { name: 'p', version: '1' } },
    clock.now(),
  );
}

describe('request state machine', () => {
  it('QUEUED → RUNNING(area) → DONE with timings and history', () => {
    let r = request('r1');
    clock.advance(10);
    r = transitionRequest(r, { type: 'START', area: 'area-1', choice, cacheKey: 'k' }, clock.now());
    expect(r).toMatchObject({ state: 'RUNNING', area: 'area-1', attempts: 1, startedAt: 1010 });
    clock.advance(250);
    r = transitionRequest(r, { type: 'SUCCEED', products: ['KB.1_red'], log: 'ok\n' }, clock.now());
    expect(r).toMatchObject({ state: 'DONE', products: ['KB.1_red'], finishedAt: 1260, log: 'ok\n', version: 3 });
    expect(r.area).toBeUndefined();
    expect(r.history.map((h) => `${h.from}>${h.to}:${h.cause}@${h.at}${h.area ? `:${h.area}` : ''}`)).toEqual([
      'null>QUEUED:SUBMIT@1000',
      'QUEUED>RUNNING:START@1010:area-1',
      'RUNNING>DONE:SUCCEED@1260:area-1',
    ]);
  });

  it('refuses illegal moves and keeps final states final', () => {
    const done = transitionRequest(request('r2'), { type: 'CACHED', choice, cacheKey: 'k', products: ['x'] }, clock.now());
    expect(done).toMatchObject({ state: 'DONE', cached: true });
    expect(() => transitionRequest(done, { type: 'CANCEL', actor: 'ana' }, clock.now())).toThrow(/ILLEGAL_TRANSITION/);
    expect(() => transitionRequest(request('r3'), { type: 'SUCCEED', products: [], log: '' }, clock.now())).toThrow(/needs RUNNING/);
  });

  it('a restart puts a RUNNING request back in the queue and the next start counts a second attempt', () => {
    let r = transitionRequest(request('r4'), { type: 'START', area: 'a', choice, cacheKey: 'k' }, clock.now());
    r = transitionRequest(r, { type: 'RESTART', message: 'scheduler restarted' }, clock.now());
    expect(r.state).toBe('QUEUED');
    r = transitionRequest(r, { type: 'START', area: 'b', choice, cacheKey: 'k' }, clock.now());
    expect(r).toMatchObject({ attempts: 2, area: 'b' });
    const cancelled = transitionRequest(r, { type: 'CANCEL', actor: 'operator:bob', log: 'killed' }, clock.now());
    expect(cancelled).toMatchObject({ state: 'CANCELLED', log: 'killed' });
    expect(cancelled.history.at(-1)).toMatchObject({ actor: 'operator:bob', area: 'b' });
  });

  it('orders the queue by priority then age, and keys the cache by what the product depends on', () => {
    const a = request('a');
    clock.advance(1);
    const b = request('b', 5);
    clock.advance(1);
    const c = request('c');
    const running = transitionRequest(request('d', 9), { type: 'START', area: 'x', choice, cacheKey: 'k' }, clock.now());
    expect(queueOrder([a, b, c, running]).map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(queuePosition([a, b, c, running], 'c')).toBe(3);
    expect(queuePosition([a, b, c, running], 'd')).toBeUndefined();
    const p = { name: 'imager_reduce', version: '1.0' };
    expect(resultCacheKey(['b', 'a'], 'S/v1', p)).toBe(resultCacheKey(['a', 'b'], 'S/v1', p));
    expect(resultCacheKey(['a'], 'S/v1', p)).not.toBe(resultCacheKey(['a'], 'S/v2', p));
    expect(resultCacheKey(['a'], 'S/v1', p)).not.toBe(resultCacheKey(['a'], 'S/v1', { ...p, version: '1.1' }));
  });
});
