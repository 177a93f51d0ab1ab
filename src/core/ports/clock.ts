/**
 * Clock port: the only source of time for the runtime, so tests can drive time by hand.
 *
 * @module
 */

/** Time source. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds (of this clock), or rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
