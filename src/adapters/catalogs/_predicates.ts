/**
 * `FileQuery.where` predicates, validated once for every catalog: the column resolved (an instrument keyword column
 * or a common field of {@link ArchivedFile}), the operator's values checked against the column's type, and the
 * SQL semantics every catalog follows (a comparison with a missing value is false; `like` is SQL LIKE with `%`,
 * `_` and `\` escapes, case-insensitive for ASCII letters). Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { ArchivedFile, ColumnPredicate, ColumnValue, FileQuery } from '../../core/ports/catalog.js';
import { checkNight } from '../../core/normalize/night.js';
import { fitsColumn, type KeywordColumnType, type KeywordTables } from './_columns.js';

type Scalar = string | number | boolean;

/** A predicate ready to run. */
export interface ResolvedPredicate {
  /** `keyword`: a column of the instrument's keyword table; `common`: a field of ArchivedFile. */
  scope: 'keyword' | 'common';
  /** Keyword column name, or ArchivedFile field name. */
  column: string;
  /** The column in SQL: the keyword column, or the archived_files column of a common field. */
  sqlColumn: string;
  type: KeywordColumnType;
  op: ColumnPredicate['op'];
  /** None for `null`/`not-null`, one for comparisons and `like`, one or more for `in`. */
  values: Scalar[];
}

/** Common fields usable in `where`, by ArchivedFile field name. */
export const COMMON_FIELDS = {
  archiveId: { sql: 'archive_id', type: 'string' },
  recordId: { sql: 'record_id', type: 'string' },
  instrument: { sql: 'instrument', type: 'string' },
  level: { sql: 'level', type: 'integer' },
  night: { sql: 'night', type: 'date' },
  originalName: { sql: 'original_name', type: 'string' },
  source: { sql: 'source', type: 'string' },
  size: { sql: 'size', type: 'integer' },
  sha256: { sql: 'sha256', type: 'string' },
  sourceSha256: { sql: 'source_sha256', type: 'string' },
  program: { sql: 'program', type: 'string' },
  dateObs: { sql: 'date_obs', type: 'string' },
  imageType: { sql: 'image_type', type: 'string' },
  releaseDate: { sql: 'release_date', type: 'date' },
  archivedAt: { sql: 'archived_at', type: 'real' },
} as const satisfies Partial<Record<keyof ArchivedFile, { sql: string; type: KeywordColumnType }>>;

const OPS: readonly ColumnPredicate['op'][] = ['=', '!=', '<', '<=', '>', '>=', 'like', 'in', 'null', 'not-null'];
const TEXT_TYPES: readonly KeywordColumnType[] = ['string', 'date', 'datetime'];

function invalid(index: number, column: string, detail: string): IngestError {
  return new IngestError('INVALID_OPTIONS', `where[${index}] on column "${column}": ${detail}`, {
    context: { field: `where[${index}]`, column },
  });
}

/** The value type a predicate on a column of `type` takes (dates compare as text, so prefixes work). */
function valueFits(type: KeywordColumnType, value: Scalar): boolean {
  return TEXT_TYPES.includes(type) ? typeof value === 'string' : fitsColumn(type === 'integer' ? 'real' : type, value);
}

/** The common field a name means: its documented name in any case, or its SQL (snake_case) name. */
function commonField(name: string): keyof typeof COMMON_FIELDS | undefined {
  const wanted = name.toLowerCase();
  return (Object.keys(COMMON_FIELDS) as (keyof typeof COMMON_FIELDS)[]).find(
    (field) => field.toLowerCase() === wanted || COMMON_FIELDS[field].sql === wanted,
  );
}

/** Resolves a predicate's column: a keyword column of the instrument (case-insensitive), else a common field. */
function resolveColumn(query: FileQuery, tables: KeywordTables, p: ColumnPredicate, index: number) {
  const table = query.instrument === undefined ? undefined : tables.get(query.instrument.toLowerCase());
  const wanted = p.column.toLowerCase();
  const keyword = table ? [...table.columns].find(([column]) => column.toLowerCase() === wanted) : undefined;
  if (keyword) return { scope: 'keyword' as const, column: keyword[0], sqlColumn: keyword[0], type: keyword[1] };
  const field = commonField(p.column);
  if (field !== undefined) {
    const common = COMMON_FIELDS[field];
    return { scope: 'common' as const, column: field, sqlColumn: common.sql, type: common.type };
  }
  const common = `common fields: ${Object.keys(COMMON_FIELDS).join(', ')}`;
  if (table) {
    throw invalid(index, p.column, `unknown column: ${table.instrument} has ${[...table.columns.keys()].join(', ') || 'no keyword columns'}; ${common}`);
  }
  if (query.instrument !== undefined) {
    throw invalid(index, p.column, `instrument "${query.instrument}" has no keyword table in this catalog (pass its description in the instruments option, or open the catalog once with it: catalogs keep the descriptions they are built with); ${common}`);
  }
  const owners = [...tables.values()].filter((t) => [...t.columns.keys()].some((c) => c.toLowerCase() === wanted)).map((t) => t.instrument);
  if (owners.length > 0) throw invalid(index, p.column, `a keyword column (of ${owners.join(', ')}): give instrument in the query`);
  throw invalid(index, p.column, `unknown column; ${common}`);
}

/**
 * Resolves and checks `query.where`.
 *
 * @throws IngestError INVALID_OPTIONS naming the predicate and column: unknown column, unknown operator, missing or
 *   mistyped value (`null` is not a value: use the `null` and `not-null` operators)
 */
export function resolvePredicates(query: FileQuery, tables: KeywordTables): ResolvedPredicate[] {
  // Nights are real dates: a range bound like 2026-02-31 would silently select by string order.
  if (query.nightFrom !== undefined) checkNight(query.nightFrom, 'nightFrom');
  if (query.nightTo !== undefined) checkNight(query.nightTo, 'nightTo');
  return (query.where ?? []).map((p, index) => {
    if (!OPS.includes(p.op)) throw invalid(index, p.column, `unknown operator "${String(p.op)}" (one of ${OPS.join(' ')})`);
    const { scope, column, sqlColumn, type } = resolveColumn(query, tables, p, index);
    if (p.op === 'null' || p.op === 'not-null') return { scope, column, sqlColumn, type, op: p.op, values: [] };
    const raw: ColumnValue[] = p.op === 'in' ? (Array.isArray(p.value) ? p.value : []) : Array.isArray(p.value) ? [] : [p.value ?? null];
    if (raw.length === 0) {
      throw invalid(index, p.column, p.op === 'in' ? '"in" takes a non-empty array of values' : `"${p.op}" takes one value, not an array`);
    }
    const values: Scalar[] = [];
    for (const v of raw) {
      if (v === null) throw invalid(index, p.column, 'null is not a value to compare with: use op "null" or "not-null"');
      if (!valueFits(type, v)) throw invalid(index, p.column, `${JSON.stringify(v)} does not fit a ${type} column`);
      values.push(v);
    }
    if (p.op === 'like' && !TEXT_TYPES.includes(type)) throw invalid(index, p.column, `"like" needs a text column, this one is ${type}`);
    return { scope, column, sqlColumn, type, op: p.op, values };
  });
}

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** SQL LIKE as a regular expression: `%` any run, `_` one character, `\x` a literal x; ASCII case folded. */
export function likeToRegExp(pattern: string): RegExp {
  const folded = asciiLower(pattern);
  let source = '';
  for (let i = 0; i < folded.length; i++) {
    const c = folded[i]!;
    if (c === '\\' && i + 1 < folded.length) source += escapeRegExp(folded[++i]!);
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'su');
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The value a predicate looks at in an archived file: a keyword column, or a common field. */
export function predicateValue(p: ResolvedPredicate, file: ArchivedFile): ColumnValue | undefined {
  return p.scope === 'keyword' ? file.columns[p.column] : (file[p.column as keyof typeof COMMON_FIELDS] as ColumnValue | undefined);
}

/** Evaluates a predicate on a value the way SQL does (a missing value matches only `null`). */
export function matchesPredicate(p: ResolvedPredicate, value: ColumnValue | undefined): boolean {
  const v = value ?? null;
  if (p.op === 'null') return v === null;
  if (v === null) return false;
  if (p.op === 'not-null') return true;
  if (p.op === 'in') return p.values.includes(v);
  const w = p.values[0]!;
  switch (p.op) {
    case 'like':
      return typeof v === 'string' && likeToRegExp(String(w)).test(asciiLower(v));
    case '=':
      return v === w;
    case '!=':
      return v !== w;
    case '<':
      return v < w;
    case '<=':
      return v <= w;
    case '>':
      return v > w;
    case '>=':
      return v >= w;
  }
}
