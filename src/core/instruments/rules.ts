/**
 * Pure evaluation of instrument rules against a header: keyword resolution through the keywordMap, the condition
 * language, ordered rule lists, archive-id prefixes, image types and proprietary periods.
 *
 * @module
 */
import type { Condition, KeywordCondition, Scalar } from './condition.js';
import type { HeaderValue, HeaderView } from './header-view.js';
import type { InstrumentDescription, KeywordMap } from './schema.js';

/** A value that counts as present: not absent, not undefined (`null`), not a blank string, not NaN. */
export type PresentValue = Exclude<HeaderValue, null>;

/** The keyword a logical name resolved to, and its value. */
export interface ResolvedKeyword {
  keyword: string;
  value: PresentValue;
}

function isPresent(value: HeaderValue | undefined): value is PresentValue {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (typeof value === 'number') return !Number.isNaN(value);
  return true;
}

/** The keywords to try for `name`: its keywordMap list, or the name itself. */
export function candidateKeywords(keywordMap: KeywordMap, name: string): readonly string[] {
  return Object.hasOwn(keywordMap, name) ? keywordMap[name]! : [name];
}

/**
 * The first keyword of `logicalName`'s keywordMap list (or the name itself, when unmapped) that has a usable
 * value: present, not undefined, not blank, not NaN. Returns which keyword was used, or undefined.
 */
export function resolveKeyword(
  description: Pick<InstrumentDescription, 'keywordMap'>,
  header: HeaderView,
  logicalName: string,
): ResolvedKeyword | undefined {
  for (const keyword of candidateKeywords(description.keywordMap, logicalName)) {
    const value = header.get(keyword);
    if (isPresent(value)) return { keyword, value };
  }
  return undefined;
}

/** The value as text for string tests (trimmed; logicals as T/F), or undefined for complex values. */
export function valueText(value: PresentValue): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'object') return undefined;
  return String(value);
}

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$/;

/**
 * The value as a number for numeric tests, or undefined: numeric strings count (FITS `D` exponents too), and
 * logicals count as 1 (T) and 0 (F), since instruments write flags either way.
 */
export function valueNumber(value: PresentValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) return Number(value.trim().replace(/[dD]/, 'e'));
  return undefined;
}

function same(value: PresentValue, expected: Scalar, caseSensitive: boolean): boolean {
  if (typeof expected === 'boolean') return value === expected;
  if (typeof expected === 'number') return valueNumber(value) === expected;
  const text = valueText(value);
  if (text === undefined) return false;
  return caseSensitive ? text === expected : text.toLowerCase() === expected.toLowerCase();
}

const regexCache = new Map<string, RegExp>();

function regex(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(source, flags);
    regexCache.set(key, re);
  }
  return re;
}

function testKeyword(c: KeywordCondition, value: PresentValue): boolean {
  const caseSensitive = c.caseSensitive ?? false;
  if ('equals' in c) return same(value, c.equals, caseSensitive);
  if ('in' in c) return c.in.some((expected) => same(value, expected, caseSensitive));
  if ('matches' in c) {
    const text = valueText(value);
    return text !== undefined && regex(c.matches, c.flags).test(text);
  }
  if ('contains' in c) {
    const text = valueText(value);
    if (text === undefined) return false;
    return caseSensitive ? text.includes(c.contains) : text.toLowerCase().includes(c.contains.toLowerCase());
  }
  const n = valueNumber(value);
  if (n === undefined) return false;
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte)
  );
}

/**
 * Evaluates a {@link Condition}. Keywords are resolved through `keywordMap` (see {@link resolveKeyword}); a
 * keyword test on a missing value is false (so `not` of it is true).
 */
export function evaluateCondition(condition: Condition, header: HeaderView, keywordMap: KeywordMap = {}): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, header, keywordMap));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, header, keywordMap));
  if ('not' in condition) return !evaluateCondition(condition.not, header, keywordMap);
  const view = condition.hdu === undefined ? header : header.hdu?.(condition.hdu);
  if (view === undefined) return false; // no such HDU: the keyword is missing
  if ('exists' in condition) return resolveKeyword({ keywordMap }, view, condition.exists) !== undefined;
  const resolved = resolveKeyword({ keywordMap }, view, condition.keyword);
  return resolved !== undefined && testKeyword(condition, resolved.value);
}

/** The first rule whose `when` holds (a rule without `when` always holds), with its index. */
export function firstMatchingRule<R extends { when?: Condition | undefined }>(
  rules: readonly R[],
  header: HeaderView,
  keywordMap: KeywordMap = {},
): { rule: R; index: number } | undefined {
  const index = rules.findIndex((r) => r.when === undefined || evaluateCondition(r.when, header, keywordMap));
  return index < 0 ? undefined : { rule: rules[index]!, index };
}

/** The archive-id prefix for this header: the first matching prefix rule, else `defaultPrefix`, else undefined. */
export function evaluatePrefix(description: InstrumentDescription, header: HeaderView): string | undefined {
  const { prefixRules, defaultPrefix } = description.archiveId;
  return firstMatchingRule(prefixRules, header, description.keywordMap)?.rule.prefix ?? defaultPrefix;
}

/** Which image type a header has, and which rule decided it (`'fallback'` when none did). */
export interface ImageTypeResult {
  type: string;
  rule: number | 'fallback';
}

/**
 * The image type (KOAIMTYP-like) of a header: the first rule that holds and gives a type wins. A `fromKeyword`
 * rule gives a type only when the keyword's value (trimmed, case-insensitive) is a key of its `map`; otherwise
 * the next rule is tried.
 */
export function evaluateImageType(description: InstrumentDescription, header: HeaderView): ImageTypeResult {
  const { imageTypeRules, imageTypeFallback, keywordMap } = description;
  for (const [index, rule] of imageTypeRules.entries()) {
    if (rule.when !== undefined && !evaluateCondition(rule.when, header, keywordMap)) continue;
    if (rule.type !== undefined) return { type: rule.type, rule: index };
    const resolved = resolveKeyword(description, header, rule.fromKeyword!);
    const text = resolved && valueText(resolved.value)?.toLowerCase();
    const hit = text === undefined ? undefined : Object.entries(rule.map!).find(([k]) => k.toLowerCase() === text);
    if (hit) return { type: hit[1], rule: index };
  }
  return { type: imageTypeFallback, rule: 'fallback' };
}

/** True if `utSeconds` falls in the UT window `start`–`end` (`HH:MM`; the window may wrap midnight). */
export function isInUtWindow(window: { start: string; end: string }, utSeconds: number): boolean {
  const toSeconds = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;
  const start = toSeconds(window.start);
  const end = toSeconds(window.end);
  return start <= end ? utSeconds >= start && utSeconds < end : utSeconds >= start || utSeconds < end;
}

/** What {@link evaluateProprietaryMonths} needs besides the description. */
export interface ProprietaryInput {
  header: HeaderView;
  /** The image type, usually from {@link evaluateImageType}. */
  imageType: string;
  /** Whether the frame was taken by day, if the caller knows (e.g. from twilight tables). */
  daytime?: boolean;
  /** UT seconds since midnight; used with `site.daytimeUt` when `daytime` is not given. */
  utSeconds?: number;
}

/**
 * The proprietary period in months: the first `proprietaryRules` entry that applies, else `proprietaryMonths`.
 * A rule with `daytime` applies only when day or night is known (from `daytime`, or `utSeconds` with
 * `site.daytimeUt`); when it is not known the rule is skipped, which keeps the data proprietary.
 */
export function evaluateProprietaryMonths(description: InstrumentDescription, input: ProprietaryInput): number {
  const window = description.site.daytimeUt;
  const daytime =
    input.daytime ?? (window && input.utSeconds !== undefined ? isInUtWindow(window, input.utSeconds) : undefined);
  const rule = description.proprietaryRules.find(
    (r) =>
      (r.imageTypes === undefined || r.imageTypes.includes(input.imageType)) &&
      (r.daytime === undefined || r.daytime === daytime) &&
      (r.when === undefined || evaluateCondition(r.when, input.header, description.keywordMap)),
  );
  return rule?.months ?? description.proprietaryMonths;
}
