/**
 * Catalog columns from a normalized header: each entry of the instrument's keyword table becomes a typed value
 * (or null), checked against its width, range and allowed values. A value that fails a check is stored as null
 * with a warning; the header itself keeps what the instrument wrote.
 *
 * @module
 */
import type { ColumnValue } from '../ports/catalog.js';
import { hduHeader, type HeaderView } from '../instruments/header-view.js';
import type { ColumnType, KeywordColumn } from '../instruments/keyword-column.js';
import { resolveKeyword, valueNumber, valueText } from '../instruments/rules.js';
import type { InstrumentDescription } from '../instruments/schema.js';
import type { NormalizeWarning } from './types.js';

/** Typed column values by column name, and the warnings raised on the way. */
export interface ColumnExtraction {
  columns: Record<string, ColumnValue>;
  warnings: NormalizeWarning[];
}

/**
 * What a catalog column of each type accepts — the check every catalog makes at the commit point. Extraction
 * applies it first, so a value the catalog would refuse becomes null (or refuses the file) while preparing, never
 * after the file was transferred.
 */
const ACCEPTS: Record<ColumnType, (v: string | number | boolean) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  real: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  datetime: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(v),
};

/** True when `value` may be stored in a catalog column of `type` (null aside). */
export function columnAccepts(type: ColumnType, value: string | number | boolean): boolean {
  return ACCEPTS[type](value);
}

/** A number a double cannot hold (1.0D99999 reads as Infinity) or an integer beyond 2^53. */
function outOfRange(entry: KeywordColumn, value: NonNullable<ReturnType<HeaderView['get']>>): boolean {
  if (entry.type !== 'integer' && entry.type !== 'real') return false;
  const n = typeof value === 'bigint' ? Number(value) : valueNumber(value);
  if (n === undefined) return false;
  return !Number.isFinite(n) || (entry.type === 'integer' && Number.isInteger(n) && !Number.isSafeInteger(n));
}

function convert(entry: KeywordColumn, value: NonNullable<ReturnType<HeaderView['get']>>): ColumnValue | undefined {
  switch (entry.type) {
    case 'string': {
      return valueText(value);
    }
    case 'integer': {
      const n = typeof value === 'bigint' ? Number(value) : valueNumber(value);
      return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'real':
      return valueNumber(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^[TF]$/i.test(value.trim())) return value.trim().toUpperCase() === 'T';
      return undefined;
    case 'date': {
      const text = valueText(value);
      const m = text === undefined ? null : /^(\d{4}-\d{2}-\d{2})(?:T.*)?$/.exec(text);
      return m ? m[1]! : undefined;
    }
    case 'datetime': {
      const text = valueText(value);
      return text !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(text) ? text : undefined;
    }
  }
}

/**
 * Reads the keyword table's columns from a header. `derived` values (archive id, image type…) are read from the
 * normalized header too, where normalization wrote them. Entries with `hdu` read the extension's header from
 * `headers` (every HDU's header, index 0 the primary); without it they are missing.
 */
export function extractColumns(description: InstrumentDescription, header: HeaderView, headers: readonly HeaderView[] = []): ColumnExtraction {
  const columns: Record<string, ColumnValue> = {};
  const warnings: NormalizeWarning[] = [];
  for (const entry of description.keywordTable) {
    const from = hduHeader(entry.hdu, header, headers);
    const found = from === undefined ? undefined : resolveKeyword(description, from, entry.keyword);
    let value: ColumnValue = null;
    let problem: string | undefined;
    if (found) {
      const converted = convert(entry, found.value);
      let code = 'COLUMN_VALUE_REJECTED';
      if (outOfRange(entry, found.value)) {
        code = 'VALUE_OUT_OF_RANGE';
        problem = `is beyond the range of a catalog ${entry.type} column`;
      } else if (converted === undefined || converted === null || !columnAccepts(entry.type, converted)) problem = `is not a ${entry.type}`;
      else if (typeof converted === 'string' && entry.width !== undefined && converted.length > entry.width) {
        problem = `is longer than ${entry.width} characters`;
      } else if (typeof converted === 'number' && entry.min !== undefined && converted < entry.min) {
        problem = `is below the minimum ${entry.min}`;
      } else if (typeof converted === 'number' && entry.max !== undefined && converted > entry.max) {
        problem = `is above the maximum ${entry.max}`;
      } else if (entry.allowed !== undefined && !entry.allowed.includes(converted as string | number | boolean)) {
        problem = `is not one of ${entry.allowed.map((a) => JSON.stringify(a)).join(', ')}`;
      } else value = converted;
      if (problem) {
        const shown = typeof found.value === 'object' ? JSON.stringify(found.value) : String(found.value);
        warnings.push({ code, keyword: found.keyword, message: `${found.keyword} = ${shown} ${problem}; stored as null in ${entry.column}` });
      }
    } else if (!entry.nullable) {
      warnings.push({ code: 'COLUMN_VALUE_MISSING', keyword: entry.keyword, message: `${entry.keyword} is missing but column ${entry.column} requires a value` });
    }
    columns[entry.column] = value;
  }
  return { columns, warnings };
}
