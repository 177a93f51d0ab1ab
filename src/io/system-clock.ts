/**
 * The {@link Clock} port on the real clock.
 *
 * @module
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../core/ports/clock.js';

/** Wall-clock time and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}),
};
