/**
 * The `template` archive-id scheme: a string of literal characters and `{TOKEN}` or `{TOKEN:arg}` placeholders.
 *
 * | token | meaning |
 * | --- | --- |
 * | `{PREFIX}` | the prefix chosen by `prefixRules` / `defaultPrefix` |
 * | `{INSTRUMENT}`, `{INSTRUMENT:lower}`, `{INSTRUMENT:upper}` | the description's `name` |
 * | `{DATE:YYYYMMDD}` | observation date (UT); pieces `YYYY` `YY` `MM` `DD` and separators `-` `_` `.` |
 * | `{NIGHT:YYYYMMDD}` | the night by the site's rule (`site.night`), same pieces as DATE |
 * | `{FRAME:4}` | the frame number from `archiveId.frameNumber` sources (keyword, file-name capture, UT seconds), zero-padded |
 * | `{FILE}` | the original file name without its FITS extension, other characters than A-Z a-z 0-9 . _ - as `_` |
 * | `{TIME:HHMMSS}` | UT time of day; pieces `HH` `MM` `SS` and separators `-` `_` `.` |
 * | `{SECONDS:5}` | whole UT seconds since midnight, zero-padded to the width (at least 5) |
 * | `{FRACTION:2}` | fraction of the second, truncated to 1–6 digits (2 = hundredths) |
 * | `{KEYWORD:FRAMENO}`, `{KEYWORD:FRAMENO:4}` | a header value (logical name or keyword); integers zero-padded |
 * | `{DIGEST:8}` | the first 4–64 hex digits of the file's content digest |
 * | `{SEQUENCE:4}` | a sequence number supplied by the caller, zero-padded |
 *
 * Literal characters are limited to `A-Z a-z 0-9 . _ -` so an id is always a safe file name.
 *
 * @module
 */

/** One parsed piece of a template. */
export type TemplatePart =
  | { kind: 'literal'; text: string }
  | { kind: 'prefix' }
  | { kind: 'instrument'; letterCase: 'as-is' | 'lower' | 'upper' }
  | { kind: 'date' | 'night'; pieces: string[] }
  | { kind: 'frame'; width: number }
  | { kind: 'file' }
  | { kind: 'time'; pieces: string[] }
  | { kind: 'seconds' | 'fraction' | 'digest' | 'sequence'; width: number }
  | { kind: 'keyword'; keyword: string; width: number | undefined };

/** Result of {@link parseArchiveTemplate}: the parts, or a message saying what is wrong. */
export type TemplateParse = { ok: true; parts: TemplatePart[] } | { ok: false; message: string };

const LITERAL = /^[A-Za-z0-9._-]*$/;
const TOKEN = /\{([A-Z]+)(?::([^{}]*))?\}/g;

/** Splits a format like `YYYY-MM-DD` into its pieces, or returns undefined if a piece is not allowed. */
function splitFormat(format: string, allowed: readonly string[]): string[] | undefined {
  const pieces: string[] = [];
  let rest = format;
  while (rest !== '') {
    const piece = [...allowed, '-', '_', '.'].find((p) => rest.startsWith(p));
    if (piece === undefined) return undefined;
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  return pieces.length > 0 ? pieces : undefined;
}

function width(arg: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (arg === undefined) return fallback;
  if (!/^\d{1,2}$/.test(arg)) return undefined;
  const n = Number(arg);
  return n >= min && n <= max ? n : undefined;
}

type TokenParser = (arg: string | undefined) => TemplatePart | string;

/** A token whose argument is a width (digits or characters) between `min` and `max`, `fallback` when omitted. */
function sized(
  kind: 'seconds' | 'fraction' | 'digest' | 'sequence',
  fallback: number,
  min: number,
  max: number,
  usage: string,
): TokenParser {
  return (arg) => {
    const n = width(arg, fallback, min, max);
    return n === undefined ? usage : { kind, width: n };
  };
}

const tokens: Record<string, TokenParser> = {
  PREFIX: (arg) => (arg === undefined ? { kind: 'prefix' } : '{PREFIX} takes no argument'),
  INSTRUMENT: (arg) =>
    arg === undefined || arg === 'lower' || arg === 'upper'
      ? { kind: 'instrument', letterCase: arg ?? 'as-is' }
      : '{INSTRUMENT} takes no argument, "lower" or "upper"',
  DATE: (arg) => {
    const pieces = splitFormat(arg ?? '', ['YYYY', 'YY', 'MM', 'DD']);
    return pieces ? { kind: 'date', pieces } : '{DATE:format} uses YYYY, YY, MM, DD and - _ . (e.g. {DATE:YYYYMMDD})';
  },
  NIGHT: (arg) => {
    const pieces = splitFormat(arg ?? '', ['YYYY', 'YY', 'MM', 'DD']);
    return pieces ? { kind: 'night', pieces } : '{NIGHT:format} uses YYYY, YY, MM, DD and - _ . (e.g. {NIGHT:YYYYMMDD})';
  },
  FRAME: (arg) => {
    const n = width(arg, 4, 1, 12);
    return n === undefined ? '{FRAME:n} needs a width from 1 to 12' : { kind: 'frame', width: n };
  },
  FILE: (arg) => (arg === undefined ? { kind: 'file' } : '{FILE} takes no argument'),
  TIME: (arg) => {
    const pieces = splitFormat(arg ?? '', ['HH', 'MM', 'SS']);
    return pieces ? { kind: 'time', pieces } : '{TIME:format} uses HH, MM, SS and - _ . (e.g. {TIME:HHMMSS})';
  },
  SECONDS: sized('seconds', 5, 5, 12, '{SECONDS:n} needs a width from 5 to 12'),
  FRACTION: sized('fraction', 2, 1, 6, '{FRACTION:n} needs 1 to 6 digits'),
  KEYWORD: (arg) => {
    const match = /^([A-Z0-9_-]{1,32})(?::(\d{1,2}))?$/.exec(arg ?? '');
    if (!match) return '{KEYWORD:NAME} or {KEYWORD:NAME:width} needs an upper-case keyword or keywordMap name';
    return { kind: 'keyword', keyword: match[1]!, width: match[2] === undefined ? undefined : Number(match[2]) };
  },
  DIGEST: sized('digest', 8, 4, 64, '{DIGEST:n} needs a length from 4 to 64'),
  SEQUENCE: sized('sequence', 4, 1, 12, '{SEQUENCE:n} needs a width from 1 to 12'),
};

/** Kinds that make ids differ from one file to the next; a template must use at least one. */
const VARYING = new Set<TemplatePart['kind']>(['seconds', 'time', 'fraction', 'keyword', 'digest', 'sequence', 'frame', 'file']);

/** Parses and checks an archive-id template. Pure; never throws. */
export function parseArchiveTemplate(template: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let last = 0;
  const literal = (text: string): string | undefined => {
    if (text === '') return undefined;
    if (/[{}]/.test(text)) return `unbalanced brace in "${text}"`;
    if (!LITERAL.test(text)) return `literal text "${text}" may only contain A-Z a-z 0-9 . _ -`;
    parts.push({ kind: 'literal', text });
    return undefined;
  };
  for (const match of template.matchAll(TOKEN)) {
    const problem = literal(template.slice(last, match.index));
    if (problem) return { ok: false, message: problem };
    const parse = tokens[match[1]!];
    if (!parse) {
      return { ok: false, message: `unknown token {${match[1]}}; known: ${Object.keys(tokens).join(', ')}` };
    }
    const part = parse(match[2]);
    if (typeof part === 'string') return { ok: false, message: part };
    parts.push(part);
    last = match.index + match[0].length;
  }
  const problem = literal(template.slice(last));
  if (problem) return { ok: false, message: problem };
  if (!parts.some((p) => VARYING.has(p.kind))) {
    return {
      ok: false,
      message: 'the template must use at least one of SECONDS, TIME, FRACTION, KEYWORD, FRAME, FILE, DIGEST, SEQUENCE so ids differ',
    };
  }
  return { ok: true, parts };
}
