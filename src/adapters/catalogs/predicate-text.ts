/**
 * `column op value` predicates written as text (the CLI's `--where`, the HTTP catalog's `where=`), parsed into
 * {@link ColumnPredicate}s; the catalog validates columns and value types.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { ColumnPredicate, ColumnValue } from '../../core/ports/catalog.js';

const OPS = ['!=', '<=', '>=', '=', '<', '>', 'like', 'in', 'not-null', 'null'] as const;

function parseValue(text: string): ColumnValue {
  const t = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t.replace(/^'(.*)'$/, '$1');
}

/** Parses `column op value` (e.g. `camera = BLUE`, `xposure >= 100`, `object like NGC%`, `progid in K1,K2`). */
export function parsePredicate(text: string): ColumnPredicate {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*(!=|<=|>=|=|<|>|\blike\b|\bin\b|\bnot-null\b|\bnull\b)\s*(.*)$/i.exec(text);
  const op = m?.[2]?.toLowerCase() as (typeof OPS)[number] | undefined;
  if (!m || !op) {
    throw new IngestError('INVALID_OPTIONS', `--where ${JSON.stringify(text)}: expected "column op value" with op one of ${OPS.join(' ')}`, {
      context: { field: 'where' },
    });
  }
  // Keyword columns are lower case; common fields keep their documented names (the catalog matches them in any case).
  const column = m[1]!.replace(/-/g, '_');
  if (op === 'null' || op === 'not-null') return { column, op };
  if (op === 'in') return { column, op, value: m[3]!.split(',').map(parseValue) };
  return { column, op, value: parseValue(m[3]!) };
}

