/**
 * Calibration association: which archived calibration frames (bias, flats, arcs, darks, standard stars…) go with
 * a science frame, by the `calibrationRules` of its instrument description. Pure: frames in, associations out.
 *
 * A rule applies to a science frame whose image type is one of its `scienceTypes`. A candidate is associated
 * when its image type is one of the rule's `calibrationTypes`, every `match` keyword has the same value in both
 * frames (logical names resolve through the keywordMap; strings compare trimmed and case-insensitive, numbers
 * by value; a keyword absent from both frames counts as equal, absent from one as different), and the two
 * observation times are at most `withinHours` apart. `select: nearest` keeps the `count` nearest in time,
 * `select: all` keeps every one in the window.
 *
 * @module
 */
import type { CardJson } from '../fits/header.js';
import type { ColumnValue } from '../ports/catalog.js';
import { defaultColumnName } from './keyword-column.js';
import type { HeaderValue, HeaderView } from './header-view.js';
import { resolveKeyword, valueNumber, valueText, type PresentValue } from './rules.js';
import type { CalibrationRule, InstrumentDescription } from './schema.js';

/** What association needs of a frame; a catalog `ArchivedFile` has all of it. */
export interface CalibrationFrame {
  archiveId: string;
  imageType?: string;
  /** The primary header as cataloged. */
  header: readonly CardJson[];
  /** Keyword-table values by column name, consulted when the header lacks a keyword. */
  columns?: Readonly<Record<string, ColumnValue>>;
  /** `YYYY-MM-DD` or an ISO date-time; the UT time comes from the header (`UTC` logical name) for a bare date. */
  dateObs?: string;
}

/** One associated calibration frame and its time from the science frame. */
export interface AssociatedCalibration<F extends CalibrationFrame> {
  frame: F;
  /** Signed: positive when the calibration was taken after the science frame. */
  hours: number;
}

/** The outcome of one rule for one science frame. */
export interface CalibrationMatch<F extends CalibrationFrame> {
  /** The rule's name, or `rule N` (1-based) when it has none. */
  rule: string;
  ruleIndex: number;
  /** Nearest first (`nearest`) or in time order (`all`); empty when nothing qualifies. */
  calibrations: AssociatedCalibration<F>[];
  /** Why nothing could be looked for (the science frame has no usable observation time). */
  problem?: string;
}

type Description = Pick<InstrumentDescription, 'keywordMap' | 'calibrationRules'>;

/** A header view over cataloged cards: the first card of each keyword wins. */
function viewOf(frame: CalibrationFrame): HeaderView {
  const values = new Map<string, HeaderValue>();
  for (const card of frame.header) {
    if (card.value !== undefined && !values.has(card.keyword)) values.set(card.keyword, card.value as HeaderValue);
  }
  return {
    get(keyword) {
      if (values.has(keyword)) return values.get(keyword);
      const column = frame.columns?.[defaultColumnName(keyword)];
      return column === undefined ? undefined : column;
    },
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?$/;

/** Observation time in epoch ms from DATE-OBS (+ UTC for a bare date), or undefined when unreadable. */
export function observationTime(description: Pick<InstrumentDescription, 'keywordMap'>, frame: CalibrationFrame): number | undefined {
  const view = viewOf(frame);
  const date = frame.dateObs ?? textOf(resolveKeyword(description, view, 'DATE-OBS')?.value);
  if (date === undefined) return undefined;
  if (!DATE.test(date)) {
    const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(date) ? date : `${date}Z`);
    return Number.isNaN(t) ? undefined : t;
  }
  const day = Date.parse(`${date}T00:00:00Z`);
  const time = TIME.exec(textOf(resolveKeyword(description, view, 'UTC')?.value) ?? '');
  if (Number.isNaN(day)) return undefined;
  if (!time) return day;
  return day + ((Number(time[1]) * 60 + Number(time[2])) * 60 + Number(time[3] ?? 0)) * 1000;
}

function textOf(value: PresentValue | undefined): string | undefined {
  return value === undefined ? undefined : valueText(value);
}

function sameValue(a: PresentValue | undefined, b: PresentValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ta = valueText(a);
  const tb = valueText(b);
  if (ta !== undefined && tb !== undefined && ta.toLowerCase() === tb.toLowerCase()) return true;
  const na = valueNumber(a);
  return na !== undefined && na === valueNumber(b);
}

function ruleName(rule: CalibrationRule, index: number): string {
  return rule.name ?? `rule ${index + 1}`;
}

/** The rules of `description` that apply to a science frame of this image type. */
export function rulesFor(description: Description, imageType: string | undefined): { rule: CalibrationRule; index: number }[] {
  if (imageType === undefined) return [];
  return description.calibrationRules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.scienceTypes.includes(imageType));
}

/**
 * The calibrations of `science` among `candidates`, one {@link CalibrationMatch} per applicable rule, in rule
 * order. Candidates should be frames of the same instrument; the science frame itself is never associated.
 *
 * @example
 * ```ts
 * const frames = await catalog.findArchived({ instrument: 'KCWI', nightFrom: '2026-11-19', nightTo: '2026-11-21' })
 * for (const match of associateCalibrations(kcwi, science, frames)) console.log(match.rule, match.calibrations.length)
 * ```
 */
export function associateCalibrations<F extends CalibrationFrame>(
  description: Description,
  science: F,
  candidates: readonly F[],
): CalibrationMatch<F>[] {
  const rules = rulesFor(description, science.imageType);
  if (rules.length === 0) return [];
  const scienceTime = observationTime(description, science);
  const scienceView = viewOf(science);
  return rules.map(({ rule, index }) => {
    const base = { rule: ruleName(rule, index), ruleIndex: index };
    if (scienceTime === undefined) {
      return { ...base, calibrations: [], problem: `${science.archiveId} has no readable DATE-OBS/UTC` };
    }
    const wanted = rule.match.map((name) => resolveKeyword(description, scienceView, name)?.value);
    const found: AssociatedCalibration<F>[] = [];
    for (const frame of candidates) {
      if (frame.archiveId === science.archiveId) continue;
      if (frame.imageType === undefined || !rule.calibrationTypes.includes(frame.imageType)) continue;
      const time = observationTime(description, frame);
      if (time === undefined) continue;
      const hours = (time - scienceTime) / 3_600_000;
      if (Math.abs(hours) > rule.withinHours) continue;
      const view = viewOf(frame);
      if (!rule.match.every((name, i) => sameValue(wanted[i], resolveKeyword(description, view, name)?.value))) continue;
      found.push({ frame, hours });
    }
    if (rule.select === 'all') {
      found.sort((a, b) => a.hours - b.hours || a.frame.archiveId.localeCompare(b.frame.archiveId));
      return { ...base, calibrations: found };
    }
    found.sort((a, b) => Math.abs(a.hours) - Math.abs(b.hours) || a.frame.archiveId.localeCompare(b.frame.archiveId));
    return { ...base, calibrations: found.slice(0, rule.count) };
  });
}
