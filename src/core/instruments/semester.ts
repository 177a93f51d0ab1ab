/**
 * Observing semesters from a UT date and time, following a description's `semester` rule.
 *
 * Keck: `{ shiftHours: 20, starts: [{ name: A, start: '02-01' }, { name: B, start: '08-01' }] }` — the UT
 * date-time is moved back 20 hours (10 for Hawaii time, 10 more so a night belongs to the day it started), then
 * A runs 1 Feb–31 Jul and B 1 Aug–31 Jan; January belongs to the previous year's B.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { SemesterRule } from './schema.js';

/** The semester id, e.g. `2024A`, for a UT date (`YYYY-MM-DD`) and UT seconds since midnight. */
export function semesterOf(rule: SemesterRule, date: string, utSeconds: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m || !Number.isFinite(utSeconds)) {
    throw new IngestError('INVALID_OPTIONS', `cannot compute a semester from date "${date}" and ${utSeconds} s`);
  }
  const instant = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + (utSeconds - rule.shiftHours * 3600) * 1000;
  const shifted = new Date(instant);
  const year = shifted.getUTCFullYear();
  const two = (n: number): string => String(n).padStart(2, '0');
  const monthDay = `${two(shifted.getUTCMonth() + 1)}-${two(shifted.getUTCDate())}`;
  const current = [...rule.starts].reverse().find((s) => s.start <= monthDay);
  return current ? `${year}${current.name}` : `${year - 1}${rule.starts.at(-1)!.name}`;
}
