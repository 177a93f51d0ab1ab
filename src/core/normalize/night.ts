/**
 * Nights: the UT dates the archive files observations under, `YYYY-MM-DD`, always a real calendar date. Light (no
 * instrument imports) so command-line options can be checked without loading the normalizers.
 *
 * @module
 */
import { IngestError } from '../errors.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Returns `text` when it is a night: a real calendar date YYYY-MM-DD (not 9999-99-99, not 2026-02-31).
 *
 * @throws IngestError INVALID_OPTIONS naming `field` otherwise.
 */
export function checkNight(text: string, field: string): string {
  if (!isCalendarDate(text)) {
    throw new IngestError('INVALID_OPTIONS', `${field}: "${text}" is not a real date YYYY-MM-DD`, {
      context: { field },
      hint: 'give the night as a calendar date, e.g. 2026-11-20 (months 01-12, days that exist in that month)',
    });
  }
  return text;
}

