/**
 * Destination layouts of the filesystem transport: a small path template over the fields of a TransferRequest,
 * checked when the transport is created and rendered per request into a relative path that cannot leave the
 * archive root. Internal to src/adapters/transports.
 *
 * | placeholder | value |
 * | --- | --- |
 * | `{archiveId}` | the archive id |
 * | `{recordId}` | the record id |
 * | `{instrument}`, `{instrument:lower}`, `{instrument:upper}` | the instrument name |
 * | `{level}` | 0, 1 or 2 |
 * | `{night}`, `{night:YYYYMMDD}` | the night (YYYY-MM-DD); pieces `YYYY` `YY` `MM` `DD` and separators `-` `_` `.` |
 *
 * Literal text is limited to `A-Z a-z 0-9 . _ - +` and `/` between directories.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { TransferRequest } from '../../core/ports/transport.js';
import { isCalendarDate } from '../../core/normalize/night.js';

type Field = 'archiveId' | 'recordId' | 'instrument' | 'level' | 'night';
type Part = { literal: string } | { field: Field; arg: string | undefined };

/** A parsed layout; {@link renderLayout} turns it into a relative path. */
export interface Layout {
  template: string;
  parts: Part[];
}

const FIELDS: Record<Field, (arg: string | undefined) => string | undefined> = {
  archiveId: (arg) => (arg === undefined ? undefined : '{archiveId} takes no argument'),
  recordId: (arg) => (arg === undefined ? undefined : '{recordId} takes no argument'),
  level: (arg) => (arg === undefined ? undefined : '{level} takes no argument'),
  instrument: (arg) =>
    arg === undefined || arg === 'lower' || arg === 'upper' ? undefined : '{instrument} takes no argument, "lower" or "upper"',
  night: (arg) =>
    arg === undefined || /^(?:YYYY|YY|MM|DD|[-_.])+$/.test(arg)
      ? undefined
      : '{night:format} uses YYYY, YY, MM, DD and - _ . (e.g. {night:YYYYMMDD})',
};

const LITERAL = /^[A-Za-z0-9._+/-]*$/;
const TOKEN = /\{([A-Za-z]+)(?::([^{}]*))?\}/g;
/** A safe path segment: no separators, no leading dot (hidden files and our temp names), no `..`. */
const SEGMENT = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;

/**
 * Parses `template`; returns the layout or a message saying what is wrong. With `requireArchiveId`, the template
 * must contain `{archiveId}` (so two files never share a destination).
 */
export function parseLayout(template: string, requireArchiveId: boolean): Layout | string {
  const parts: Part[] = [];
  let last = 0;
  const literal = (text: string): string | undefined => {
    if (!LITERAL.test(text)) return `literal text "${text}" may only hold A-Z a-z 0-9 . _ - + and /`;
    if (text) parts.push({ literal: text });
    return undefined;
  };
  for (const match of template.matchAll(TOKEN)) {
    const problem = literal(template.slice(last, match.index));
    if (problem) return problem;
    const field = match[1] as Field;
    if (!Object.hasOwn(FIELDS, field)) {
      return `unknown placeholder {${match[1]}}; use ${Object.keys(FIELDS).map((f) => `{${f}}`).join(', ')}`;
    }
    const fieldProblem = FIELDS[field](match[2]);
    if (fieldProblem) return fieldProblem;
    parts.push({ field, arg: match[2] });
    last = match.index + match[0].length;
  }
  const problem = literal(template.slice(last));
  if (problem) return problem;
  if (template.startsWith('/')) return 'the layout must be relative to the archive root (no leading "/")';
  const segments = template.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'the layout has an empty, "." or ".." directory';
  if (requireArchiveId && !parts.some((p) => 'field' in p && p.field === 'archiveId')) {
    return 'the layout must contain {archiveId} so that two files never share a destination';
  }
  return { template, parts };
}

function unsafe(request: TransferRequest, detail: string): IngestError {
  return new IngestError('UNSAFE_DESTINATION', detail, { context: { file: request.path, archiveId: request.archiveId } });
}

function formatNight(request: TransferRequest, format: string | undefined): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(request.night);
  if (!match || !isCalendarDate(request.night)) throw unsafe(request, `night "${request.night}" is not a real date YYYY-MM-DD`);
  if (format === undefined) return request.night;
  const [, year, month, day] = match as unknown as [string, string, string, string];
  const pieces: Record<string, string> = { YYYY: year, YY: year.slice(2), MM: month, DD: day };
  return format.replace(/YYYY|YY|MM|DD/g, (piece) => pieces[piece]!);
}

function fieldValue(request: TransferRequest, field: Field, arg: string | undefined): string {
  switch (field) {
    case 'night':
      return formatNight(request, arg);
    case 'level':
      return String(request.level);
    case 'instrument':
      if (arg === 'lower') return request.instrument.toLowerCase();
      return arg === 'upper' ? request.instrument.toUpperCase() : request.instrument;
    default:
      return request[field];
  }
}

/**
 * The relative path (with `/`) of `request` under `layout`. Every segment must be a safe name (no `/`, `\`,
 * leading dot, `..`, or characters outside A-Z a-z 0-9 . _ - +), so the result never leaves the root.
 *
 * @throws IngestError UNSAFE_DESTINATION naming the field and the value.
 */
export function renderLayout(layout: Layout, request: TransferRequest): string {
  let path = '';
  for (const part of layout.parts) {
    if ('literal' in part) {
      path += part.literal;
      continue;
    }
    const value = fieldValue(request, part.field, part.arg);
    if (value === '' || /[/\\\0]/.test(value)) {
      throw unsafe(request, `${part.field} "${value}" cannot be part of a path (empty, or holds "/", "\\" or NUL)`);
    }
    path += value;
  }
  for (const segment of path.split('/')) {
    if (!SEGMENT.test(segment)) {
      throw unsafe(request, `"${segment}" in "${path}" (layout ${layout.template}) is not a safe file or directory name`);
    }
  }
  return path;
}
