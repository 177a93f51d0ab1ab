/** The one backoff rule: exact waits for an injected random, and the bounds of the jitter. */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/core/lifecycle/backoff.js';

const policy = { baseDelayMs: 1000, maxDelayMs: 10_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per failure up to the maximum; random 0 waits half of it, random → 1 all of it', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(3000);
  });

  it('spreads the waits of many callers over [ceiling/2, ceiling] with the real random source', () => {
    const waits = Array.from({ length: 200 }, () => backoffDelay(2, policy));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(2000);
    expect(new Set(waits).size).toBeGreaterThan(50);
  });

  it('treats a zeroth or negative failure like the first, and survives huge failure counts', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(500);
    expect(backoffDelay(-3, policy, () => 0)).toBe(500);
    expect(backoffDelay(5000, policy, () => 0)).toBe(5000);
  });
});
