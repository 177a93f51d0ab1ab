/**
 * The rate of bulk reprocessing (`--rate 120/h`): how often a throttled batch may start a request. Pure.
 *
 * @module
 */
import { IngestError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, sec: 1000, min: 60_000, m: 60_000, h: 3_600_000, hour: 3_600_000, d: 86_400_000, day: 86_400_000 };

/** `N/s`, `N/min`, `N/h` or `N/day` → the interval (ms) between two starts. */
export function rateInterval(rate: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)\s*$/i.exec(rate);
  const unit = m ? UNIT_MS[m[2]!.toLowerCase()] : undefined;
  const count = m ? Number(m[1]) : NaN;
  if (!unit || !(count > 0)) {
    throw new IngestError('INVALID_OPTIONS', `rate ${JSON.stringify(rate)} is not N/s, N/min, N/h or N/day (e.g. 120/h)`, { context: { field: 'rate' } });
  }
  return Math.max(1, Math.round(unit / count));
}
