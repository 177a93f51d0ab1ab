/**
 * The scrub's pacing: a token bucket on the Clock port (bytes per second, a short burst allowance), the parsers
 * of `--rate 200MB/s` and `--for 1h`, and the gate that waits while ingestion is busy. Internal to src/scrub.
 *
 * @module
 */
import { IngestError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';

/** Paces reads to a number of bytes per second. */
export interface RateLimiter {
  /** Resolves once `bytes` more may be read without exceeding the rate. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A token bucket of `bytesPerSecond`, starting empty (no initial burst, so that a short run keeps the rate too),
 * that lets a reader idle for a while (paused for ingestion) catch up by at most `burstMs` worth of bytes.
 * `Infinity` never waits.
 */
export function tokenBucket(bytesPerSecond: number, clock: Clock, burstMs = 100): RateLimiter {
  if (!(bytesPerSecond > 0)) throw new IngestError('INVALID_OPTIONS', `rate ${bytesPerSecond} B/s: expected a positive rate`, { context: { field: 'rate' } });
  if (bytesPerSecond === Infinity) return { take: async () => {} };
  // `at`: the clock time by which every byte taken so far may have been read.
  let at = clock.now();
  return {
    async take(bytes, signal) {
      const now = clock.now();
      if (at < now - burstMs) at = now - burstMs;
      at += (bytes / bytesPerSecond) * 1000;
      const wait = at - now;
      if (wait > 0) await clock.sleep(wait, signal);
    },
  };
}

const RATE_UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, KI: 1024, MI: 1024 ** 2, GI: 1024 ** 3 };

/** `200MB/s`, `50 MiB/s`, `1.5G` (per second), or a number of bytes per second. */
export function parseRate(rate: number | string, field = 'rate'): number {
  if (typeof rate === 'number') return rate;
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?)?B?(?:\/s)?$/i.exec(rate.trim());
  const value = m ? Number(m[1]) * RATE_UNITS[(m[2] ?? '').toUpperCase()]! : NaN;
  if (!(value > 0)) throw new IngestError('INVALID_OPTIONS', `--${field} ${JSON.stringify(rate)}: expected a rate such as 200MB/s, 50MiB/s or a number of bytes per second`, { context: { field } });
  return value;
}

export { parseDuration } from '../core/duration.js';

/** Waits, polling every `pollMs`, while `isBusy()` says ingestion has work; resolves at once when it has none. */
export async function whileBusy(isBusy: (() => boolean) | undefined, clock: Clock, pollMs: number, signal?: AbortSignal): Promise<number> {
  let waited = 0;
  while (isBusy?.() && !signal?.aborted) {
    await clock.sleep(pollMs, signal);
    waited += pollMs;
  }
  return waited;
}
