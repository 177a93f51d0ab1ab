/**
 * The observing night of a frame, defined by the instrument's site. This is the single definition every part of
 * fits-ingest uses (archive layout, archive-id `{NIGHT}` token, catalog `night` column, `--from`/`--to`,
 * distribution and the proprietary period's start).
 *
 * - `site.night: ut-date` (the default, KOA's rule): the night is the UT date of the observation.
 * - `site.night: local-evening`: the night is named by the local calendar date of the evening it began. Local time
 *   is UT plus the site's offset (`site.timeZone`, an IANA name, daylight saving included; else
 *   `site.utcOffsetHours`); a new night begins at `site.nightBoundary` local time (default `12:00`, local noon).
 *   A frame taken at 03:00 local on 21 November belongs to the night of 20 November.
 *
 * Every night the archive meets — layout folders, `--from`/`--to`/`--night` options, catalog night bounds — is
 * also a real calendar date ({@link checkNight}).
 *
 * Pure: no clock, no I/O.
 *
 * @module
 */
import { IngestError } from '../errors.js';

/** The site fields the night depends on (a subset of an instrument description's `site`). */
export interface NightSite {
  night?: 'ut-date' | 'local-evening';
  utcOffsetHours?: number;
  timeZone?: string;
  /** Local time HH:MM at which a new night begins. @default '12:00' */
  nightBoundary?: string;
}

const DAY_MS = 86_400_000;

/** Local time minus UT, in minutes, at `instantMs` for an IANA time zone. */
export function zoneOffsetMinutes(timeZone: string, instantMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instantMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instantMs / 1000) * 1000) / 60_000);
}

/**
 * The night (YYYY-MM-DD) of an observation at UT date `utDate` (YYYY-MM-DD) and `utSeconds` since UT midnight.
 *
 * @example
 * ```ts
 * nightOf({ night: 'local-evening', utcOffsetHours: -8 }, '2026-11-21', 11 * 3600) // 03:00 local → '2026-11-20'
 * ```
 */
export function nightOf(site: NightSite, utDate: string, utSeconds: number): string {
  if ((site.night ?? 'ut-date') === 'ut-date') return utDate;
  const instant = Date.parse(`${utDate}T00:00:00Z`) + Math.floor(utSeconds * 1000);
  const offsetMinutes = site.timeZone !== undefined ? zoneOffsetMinutes(site.timeZone, instant) : Math.round((site.utcOffsetHours ?? 0) * 60);
  const [h, m] = (site.nightBoundary ?? '12:00').split(':').map(Number) as [number, number];
  const shifted = instant + offsetMinutes * 60_000 - (h * 60 + m) * 60_000;
  return new Date(Math.floor(shifted / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

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

