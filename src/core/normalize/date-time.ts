/**
 * DATE-OBS and UT repair, following an instrument's `dateRepair` rules: accepted forms are rewritten to
 * `YYYY-MM-DD`, the UT time of day is validated, and what is missing or unreadable is rebuilt from the file's
 * modification time or rejected. Pure: the caller passes the file's mtime in.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { HeaderView } from '../instruments/header-view.js';
import { resolveKeyword, valueText } from '../instruments/rules.js';
import type { InstrumentDescription } from '../instruments/schema.js';
import { utSecondsFromTime } from '../instruments/archive-id.js';
import { isCalendarDate } from './night.js';
import type { HeaderEdit, NormalizeWarning } from './types.js';

/** The repaired observation time. */
export interface ObservationTime {
  /** UT date, YYYY-MM-DD. */
  date: string;
  /** UT seconds since midnight, fractional. */
  utSeconds: number;
  edits: HeaderEdit[];
  warnings: NormalizeWarning[];
}

const ISO_DATETIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)Z?$/;
const DMY = /^(\d{2})\/(\d{2})\/(\d{2})$/;


/** Formats UT seconds since midnight as HH:MM:SS.ss (hundredths truncated, as archive ids are). */
export function formatUt(utSeconds: number): string {
  const hundredths = Math.min(Math.floor(utSeconds * 100 + 1e-6), 8_639_999);
  const h = Math.floor(hundredths / 360_000);
  const m = Math.floor((hundredths % 360_000) / 6000);
  const s = (hundredths % 6000) / 100;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${s.toFixed(2).padStart(5, '0')}`;
}

interface ParsedDate {
  date: string;
  time?: string;
  form: 'iso-date' | 'iso-datetime' | 'dmy-slash';
}

function parseDate(text: string, description: InstrumentDescription): ParsedDate | undefined {
  const { dateFormats, twoDigitYearPivot } = description.dateRepair;
  const trimmed = text.trim();
  if (dateFormats.includes('iso-date') && isCalendarDate(trimmed)) return { date: trimmed, form: 'iso-date' };
  const dt = ISO_DATETIME.exec(trimmed);
  if (dateFormats.includes('iso-datetime') && dt && isCalendarDate(dt[1]!)) {
    return { date: dt[1]!, time: dt[2]!, form: 'iso-datetime' };
  }
  const dmy = DMY.exec(trimmed);
  if (dateFormats.includes('dmy-slash') && dmy) {
    const yy = Number(dmy[3]);
    const date = `${yy < twoDigitYearPivot ? 2000 + yy : 1900 + yy}-${dmy[2]}-${dmy[1]}`;
    if (isCalendarDate(date)) return { date, form: 'dmy-slash' };
  }
  return undefined;
}

/**
 * Repairs DATE-OBS and the UT time of a header.
 *
 * @param mtimeMs the file's modification time (an absolute instant), used where the rules say `file-mtime`
 * @throws IngestError BAD_DATE_OBS / BAD_UT (kind invalid) where the rules say `reject`
 */
export function repairObservationTime(
  description: InstrumentDescription,
  header: HeaderView,
  mtimeMs: number,
): ObservationTime {
  const edits: HeaderEdit[] = [];
  const warnings: NormalizeWarning[] = [];
  const rules = description.dateRepair;
  const policy = description.normalization;
  const dateKeyword = description.keywordMap['DATE-OBS']?.[0] ?? 'DATE-OBS';
  const utKeyword = description.keywordMap['UTC']?.[0] ?? 'UTC';
  const mtime = new Date(mtimeMs).toISOString();

  const found = resolveKeyword(description, header, 'DATE-OBS');
  const text = found ? valueText(found.value) : undefined;
  const parsed = text === undefined ? undefined : parseDate(text, description);
  let date: string;
  if (parsed) {
    date = parsed.date;
    if (policy.dateObs === 'repair' && (parsed.form !== 'iso-date' || found!.keyword !== dateKeyword)) {
      edits.push({ keyword: dateKeyword, value: date, comment: `corrected (was '${text}')` });
      warnings.push({ code: 'DATE_OBS_REWRITTEN', keyword: dateKeyword, message: `DATE-OBS '${text}' rewritten as ${date}` });
    }
  } else if (rules.onInvalidDate === 'file-mtime' && policy.dateObs !== 'require') {
    date = mtime.slice(0, 10);
    const was = text === undefined ? 'missing' : `'${text}'`;
    edits.push({ keyword: dateKeyword, value: date, comment: `from file time (was ${was})` });
    warnings.push({ code: 'DATE_OBS_FROM_MTIME', keyword: dateKeyword, message: `DATE-OBS ${was}; rebuilt from the file time` });
  } else {
    const rule = policy.dateObs === 'require' ? 'normalization.dateObs is require' : "the instrument's rules reject such files";
    throw new IngestError('BAD_DATE_OBS', `DATE-OBS is ${text === undefined ? 'missing' : `'${text}'`}, and ${rule}`, {
      context: { keyword: dateKeyword },
    });
  }

  const utFound = resolveKeyword(description, header, 'UTC');
  const utText = utFound ? valueText(utFound.value) : undefined;
  let utSeconds = utText === undefined ? undefined : utSecondsFromTime(utText);
  if (utSeconds === undefined) {
    const fromDate = rules.timeFromDateTime && parsed?.time !== undefined ? utSecondsFromTime(parsed.time) : undefined;
    const was = utText === undefined ? 'missing' : `'${utText}'`;
    if (fromDate !== undefined) {
      utSeconds = fromDate;
      if (policy.time === 'repair') edits.push({ keyword: utKeyword, value: formatUt(utSeconds), comment: `from DATE-OBS (was ${was})` });
      if (policy.time === 'repair') warnings.push({ code: 'UT_FROM_DATE_OBS', keyword: utKeyword, message: `UT ${was}; taken from DATE-OBS` });
    } else if (rules.onInvalidTime === 'file-mtime' && policy.time !== 'require') {
      utSeconds = (Date.parse(mtime) - Date.parse(`${mtime.slice(0, 10)}T00:00:00Z`)) / 1000;
      if (policy.time === 'repair') edits.push({ keyword: utKeyword, value: formatUt(utSeconds), comment: `from file time (was ${was})` });
      warnings.push({ code: 'UT_FROM_MTIME', keyword: utKeyword, message: `UT ${was}; rebuilt from the file time` });
    } else {
      const rule = policy.time === 'require' ? 'normalization.time is require' : "the instrument's rules reject such files";
      throw new IngestError('BAD_UT', `the UT time is ${was}, and ${rule}`, {
        context: { keyword: utKeyword },
      });
    }
  }
  return { date, utSeconds, edits, warnings };
}
