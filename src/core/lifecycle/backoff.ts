/**
 * The one backoff-with-jitter rule of fits-ingest: the engine's retries of a file, the HTTP client, callbacks,
 * webhooks and the keyword monitor's reconnection all wait this long.
 *
 * @module
 */

/** The growth of the wait: doubles from `baseDelayMs` up to `maxDelayMs`. */
export interface BackoffPolicy {
  /** Wait after the first failure, before jitter (ms); doubles with each further one. */
  baseDelayMs: number;
  /** Longest wait (ms), before jitter. */
  maxDelayMs: number;
}

/**
 * The wait after the `failures`-th failure (1 = after the first): the ceiling `base × 2^(failures−1)`, capped at
 * `max`, of which a random part of up to half is taken off ("equal jitter"): the wait lies in [ceiling/2, ceiling],
 * so retries of many files or senders that failed together spread out, yet never come sooner than half the
 * ceiling. `random` returns a uniform number in [0, 1) (inject a fixed one in tests).
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
