/**
 * A clock driven by hand, for deterministic tests of the engine and of anything else that takes the Clock port:
 * time moves only when the test calls {@link ManualClock.advance}, which runs the sleeps that fall due in time
 * order and lets the code they wake run before going on. No real waiting, and the same order on every run.
 *
 * @example
 * ```ts
 * import { createManualClock } from 'fits-ingest/testing';
 *
 * const clock = createManualClock({ now: Date.UTC(2026, 0, 1) });
 * const engine = createEngine({ ..., clock });
 * await engine.start();
 * await clock.advance(1000); // one second of engine time, at once
 * ```
 *
 * @module
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../core/ports/clock.js';

/** Options of {@link createManualClock}. */
export interface ManualClockOptions {
  /** The time the clock starts at (epoch ms). @default 0 */
  now?: number;
}

/** A {@link Clock} whose time moves only when told. */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, waking every sleep that falls due on the way, earliest first (equal times in the
   * order they were asked for), and letting the woken code run (until it waits again) before the next one.
   */
  advance(ms: number): Promise<void>;
  /**
   * Advances in steps of `stepMs` until `done()` is true; rejects when `maxMs` pass first. Returns the time it
   * took (clock ms).
   */
  advanceUntil(done: () => boolean | Promise<boolean>, options: { stepMs: number; maxMs: number }): Promise<number>;
  /** Lets code woken so far run until it waits on the clock again (or on real I/O). */
  settle(): Promise<void>;
  /** The times (epoch ms) of the sleeps waiting, earliest first. */
  pending(): number[];
}

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

/** Creates a manual clock. */
export function createManualClock(options: ManualClockOptions = {}): ManualClock {
  let now = options.now ?? 0;
  let seq = 0;
  const timers: Timer[] = [];

  const settle = async (): Promise<void> => {
    // A macrotask turn runs every microtask queued meanwhile, chained ones included; two turns also let code
    // that hops through one immediate (stream internals) go on.
    await yieldToEventLoop();
    await yieldToEventLoop();
  };

  const nextDue = (limit: number): Timer | undefined => {
    let best: Timer | undefined;
    for (const t of timers) if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    return best;
  };

  const clock: ManualClock = {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer: Timer = {
          at: now + Math.max(0, ms),
          seq: seq++,
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
      });
    },
    async advance(ms) {
      const target = now + Math.max(0, ms);
      await settle();
      for (let timer = nextDue(target); timer; timer = nextDue(target)) {
        timers.splice(timers.indexOf(timer), 1);
        now = Math.max(now, timer.at);
        timer.wake();
        await settle();
      }
      now = target;
      await settle();
    },
    async advanceUntil(done, { stepMs, maxMs }) {
      const from = now;
      while (!(await done())) {
        if (now - from >= maxMs) throw new Error(`the condition did not hold within ${maxMs} ms of the manual clock`);
        await clock.advance(stepMs);
      }
      return now - from;
    },
    settle,
    pending: () => timers.map((t) => t.at).sort((a, b) => a - b),
  };
  return clock;
}
