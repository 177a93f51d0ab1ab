/**
 * Durations written by people (`90s`, `30m`, `1h30m`, `2d`) for command-line options and configuration.
 *
 * @module
 */
import { IngestError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `90s`, `30m`, `1h`, `2d`, `1h30m`, `500ms` → milliseconds. Throws INVALID_OPTIONS naming `--field` for anything
 * else (a bare number, an unknown unit, zero).
 */
export function parseDuration(duration: string, field = 'for'): number {
  const parts = [...duration.trim().matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
  if (parts.length === 0 || consumed.replace(/\s/g, '') !== duration.replace(/\s/g, '') || !(ms > 0)) {
    throw new IngestError('INVALID_OPTIONS', `--${field} ${JSON.stringify(duration)}: expected a duration such as 90s, 30m, 1h or 2d`, { context: { field } });
  }
  return ms;
}
