/** The manual clock: time moves only on advance, sleeps wake in time order, aborts reject. */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/testing/index.js';

describe('createManualClock', () => {
  it('wakes due sleeps in time order (ties in call order) and lets woken code run before the next', async () => {
    const clock = createManualClock({ now: 1000 });
    const woke: string[] = [];
    const nap = (name: string, ms: number) => clock.sleep(ms).then(() => void woke.push(`${name}@${clock.now()}`));
    void nap('c', 30);
    void nap('a', 10);
    void nap('b', 10);
    // A sleeper that, once woken, sleeps again: its second wake-up still comes in order.
    void clock.sleep(5).then(() => nap('again', 10));
    expect(clock.pending()).toEqual([1005, 1010, 1010, 1030]);
    await clock.advance(20);
    expect(woke).toEqual(['a@1010', 'b@1010', 'again@1015']);
    expect(clock.now()).toBe(1020);
    await clock.advance(9);
    expect(woke).toHaveLength(3);
    await clock.advance(1);
    expect(woke.at(-1)).toBe('c@1030');
    expect(clock.pending()).toEqual([]);
  });

  it('rejects a sleep whose signal aborts, and forgets it', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pending()).toEqual([]);
    await expect(clock.sleep(1, AbortSignal.abort())).rejects.toBeDefined();
  });

  it('advanceUntil steps until the condition holds, or rejects after maxMs', async () => {
    const clock = createManualClock();
    let done = false;
    void clock.sleep(250).then(() => (done = true));
    expect(await clock.advanceUntil(() => done, { stepMs: 100, maxMs: 1000 })).toBe(300);
    await expect(clock.advanceUntil(() => false, { stepMs: 100, maxMs: 500 })).rejects.toThrow('within 500 ms');
  });
});
