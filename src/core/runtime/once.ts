/**
 * Lifecycle rules written once, for the engine and every adapter: init-once (retried after a failed init),
 * start-once (retried after a failed start, which is rolled back first), stop/dispose-once. Adapters describe
 * only what starting and stopping do; the rules about when live here.
 *
 * @module
 */
import { IngestError } from '../errors.js';

/** An async init that runs at most once at a time and is remembered once it succeeded. */
export interface InitOnce<T> {
  /** Runs the init, or joins the run under way, or returns the remembered result. A failed run is forgotten. */
  (): Promise<T>;
  /** Forgets a successful run, so the next call runs the init again (e.g. after the resource was closed). */
  reset(): void;
  /** True once a run has succeeded (and was not reset). */
  readonly done: boolean;
}

/**
 * Wraps `init` so concurrent callers share one run, a success is remembered, and a failure is forgotten: the
 * next call tries again.
 */
export function initOnce<T>(init: () => Promise<T>): InitOnce<T> {
  let running: Promise<T> | undefined;
  let finished = false;
  const call = (() => {
    running ??= init().then(
      (value) => {
        finished = true;
        return value;
      },
      (error: unknown) => {
        running = undefined;
        throw error;
      },
    );
    return running;
  }) as InitOnce<T>;
  call.reset = () => {
    running = undefined;
    finished = false;
  };
  Object.defineProperty(call, 'done', { get: () => finished });
  return call;
}

/** Wraps `dispose` so it runs once: later calls get the first call's promise (closing twice closes once). */
export function disposeOnce(dispose: () => Promise<void>): () => Promise<void> {
  let disposing: Promise<void> | undefined;
  return () => (disposing ??= Promise.resolve().then(dispose));
}

/** Where a {@link StartStop} is in its life. */
export type LifecycleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Options of {@link startStop}. */
export interface StartStopOptions<A extends unknown[]> {
  /** Names the service in ALREADY_STARTED errors (e.g. `trigger "incoming"`). */
  name: string;
  /** Starts the service. When it throws, {@link StartStopOptions.stop} undoes what it did and a later start retries. */
  start(...args: A): Promise<void>;
  /** Stops the service, whole or half started (it is also the rollback of a failed start). */
  stop(): Promise<void>;
  /**
   * True when the service can start again after a stop (the engine). False makes stop final: a later start
   * rejects ALREADY_STARTED (triggers: create a new one). @default false
   */
  restartable?: boolean;
  /**
   * True when a stop during a start runs at once and the start is expected to notice and finish early (a one-shot
   * scan that may take minutes). False makes the stop wait for the start to finish first. @default false
   */
  interruptStart?: boolean;
}

/** A service's start and stop, guarded by {@link startStop}. */
export interface StartStop<A extends unknown[]> {
  /** Starts once; rejects ALREADY_STARTED while started (or once stopped, unless restartable). */
  start(...args: A): Promise<void>;
  /** Stops once; idempotent (concurrent and later calls share the first stop). */
  stop(): Promise<void>;
  readonly state: LifecycleState;
}

/**
 * The start/stop rules every service follows: one start at a time; a failed start is rolled back with `stop` and
 * may be retried; stop runs once (a stop before any start only makes a later start fail, unless restartable), and
 * is final unless `restartable`.
 */
export function startStop<A extends unknown[]>(options: StartStopOptions<A>): StartStop<A> {
  let state: LifecycleState = 'idle';
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const restartable = options.restartable ?? false;

  const rejectStart = (): IngestError =>
    new IngestError(
      'ALREADY_STARTED',
      restartable ? `${options.name} is already started (or stopping); stop it first` : `${options.name} was already started (or stopped); create a new one`,
    );

  async function runStop(): Promise<void> {
    const during = starting;
    if (during && !options.interruptStart) await during.catch(() => undefined);
    state = 'stopping';
    try {
      await options.stop();
      if (during) await during.catch(() => undefined);
    } finally {
      state = restartable ? 'idle' : 'stopped';
      stopping = undefined;
    }
  }

  return {
    get state() {
      return state;
    },
    start(...args: A): Promise<void> {
      if (state !== 'idle') return Promise.reject(rejectStart());
      state = 'starting';
      starting = (async () => {
        try {
          await options.start(...args);
          if (state === 'starting') state = 'running';
        } catch (error) {
          if (state === 'starting') {
            // Undo the half-done start so nothing is left open, then allow another try.
            await options.stop().catch(() => undefined);
            state = 'idle';
          }
          throw error;
        } finally {
          starting = undefined;
        }
      })();
      return starting;
    },
    stop(): Promise<void> {
      if (stopping) return stopping;
      if (state === 'idle' || state === 'stopped') {
        if (!restartable) state = 'stopped';
        return Promise.resolve();
      }
      stopping = runStop();
      return stopping;
    },
  };
}
