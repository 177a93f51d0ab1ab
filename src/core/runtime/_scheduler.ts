/**
 * The engine's queue: records ready to run, records waiting for a time (a stability poll, a retry), and the runs
 * in flight, never more than `concurrency` at once. It knows record ids only; what a run does is the caller's.
 */
import type { Clock } from '../ports/clock.js';

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  /** Runs at once, at most. */
  concurrency: number;
  clock: Clock;
  /** Moves one record on; must not reject (the caller handles its own errors). */
  run(id: string): Promise<void>;
}

/** The queue of record ids and the runs in flight. */
export interface Scheduler {
  /** Queues a record to run now (or, when it is running, to look at again once that run is over). */
  enqueue(id: string): void;
  /** Looks at a record again at `at` (epoch ms of the clock); replaces an earlier time. */
  wait(id: string, at: number): void;
  /** Queues every waiting record whose time has come. */
  wakeDue(now: number): void;
  /** True when the record is running, queued or waiting here. */
  holds(id: string): boolean;
  /** True when the record is running or waiting (a submission need not queue it again). */
  busy(id: string): boolean;
  /** Takes no more work until {@link Scheduler.open}: queued records stay queued, new ones are ignored. */
  close(): void;
  open(): void;
  readonly closed: boolean;
  /** Resolves when every run in flight has finished. */
  drain(): Promise<void>;
  /** Empties the queue and the waiting list; returns their ids (to release their claims). */
  clear(): string[];
  load(): { running: number; queued: number; waiting: number };
}

/** Creates the queue; runs start as soon as there is room (bounded by `concurrency`). */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { concurrency, clock, run } = options;
  const queue: string[] = [];
  const queued = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const waiting = new Map<string, number>();
  let closed = false;

  function pump(): void {
    while (!closed && running.size < concurrency && queue.length > 0) {
      const id = queue.shift()!;
      queued.delete(id);
      const work = run(id)
        .catch(() => undefined)
        .finally(() => {
          running.delete(id);
          pump();
        });
      running.set(id, work);
    }
  }

  return {
    enqueue(id) {
      if (closed) return;
      // Being processed right now: look at it again once the current run is over.
      if (running.has(id)) return void waiting.set(id, clock.now());
      if (queued.has(id)) return;
      waiting.delete(id);
      queued.add(id);
      queue.push(id);
      pump();
    },
    wait(id, at) {
      waiting.set(id, at);
    },
    wakeDue(now) {
      for (const [id, at] of waiting) {
        if (at > now) continue;
        waiting.delete(id);
        this.enqueue(id);
      }
    },
    holds: (id) => running.has(id) || queued.has(id) || waiting.has(id),
    busy: (id) => running.has(id) || waiting.has(id),
    close() {
      closed = true;
    },
    open() {
      closed = false;
    },
    get closed() {
      return closed;
    },
    async drain() {
      await Promise.allSettled(running.values());
    },
    clear() {
      const ids = [...queued, ...waiting.keys()];
      queue.length = 0;
      queued.clear();
      waiting.clear();
      return ids;
    },
    load: () => ({ running: running.size, queued: queue.length, waiting: waiting.size }),
  };
}

/**
 * The engine's heartbeat: every `tickMs` of the clock, until `signal` aborts, calls `onTick(now)` (wake due
 * records, claim work). One tick at a time: a slow tick delays the next.
 */
export async function tickLoop(clock: Clock, tickMs: number, signal: AbortSignal, onTick: (now: number) => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    try {
      await clock.sleep(tickMs, signal);
    } catch {
      return;
    }
    await onTick(clock.now());
  }
}
