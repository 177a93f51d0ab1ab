/**
 * Retry settings shared by the HTTP client and the callback sender; the wait itself is the core's
 * `backoffDelay` (src/core/lifecycle/backoff.ts).
 * Internal to src/adapters/http.
 *
 * @module
 */

/** How often and how patiently to try again. */
export interface RetrySettings {
  /** Attempts in all (the first one included). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles with each further one. */
  baseDelayMs: number;
  /** Longest delay between two attempts. */
  maxDelayMs: number;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
