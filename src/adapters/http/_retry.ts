/**
 * Retry timing shared by the HTTP client and the callback sender: exponential backoff with jitter.
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

/**
 * The wait after the `failures`-th failure (1 = after the first): `base × 2^(failures−1)`, capped at `max`, of
 * which a random half is taken off ("equal jitter"), so that senders that failed together do not retry in step.
 */
export function backoffDelay(failures: number, settings: Omit<RetrySettings, 'maxAttempts'>, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
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
