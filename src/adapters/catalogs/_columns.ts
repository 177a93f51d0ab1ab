/**
 * Keyword columns as catalogs see them: the instruments' keyword tables (name + typed columns), validated once,
 * and the checks an archived file's `columns` must pass before it is committed. Internal to src/adapters/catalogs.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import { columnAccepts } from '../../core/normalize/columns.js';
import type { ArchivedFile, CatalogInstrument, ColumnValue, KeywordColumnType } from '../../core/ports/catalog.js';

export type { CatalogInstrument, KeywordColumnType };

/** Column names a keyword table may not use: the catalog's own key column. */
export const RESERVED_COLUMNS = ['record_id'];

/** Zod schema of the `instruments` option; extra fields of a full instrument description are ignored. */
export const catalogInstrumentsSchema = z
  .array(
    z.object({
      name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a name is 1-32 of A-Z a-z 0-9 _ -, starting with a letter'),
      keywordTable: z.array(
        z.object({
          column: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a column name is a letter or _ then up to 62 of A-Z a-z 0-9 _')
            .refine((c) => !RESERVED_COLUMNS.includes(c.toLowerCase()), 'record_id is reserved by the catalog'),
          type: z.enum(['string', 'integer', 'real', 'boolean', 'date', 'datetime']),
        }),
      ),
    }),
  )
  .superRefine((instruments, ctx) => {
    const tables = new Map<string, number>();
    instruments.forEach((instrument, i) => {
      const table = keywordTableName(instrument.name);
      const first = tables.get(table);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${instrument.name}" has the same table as instruments[${first}]` });
      } else tables.set(table, i);
      const columns = new Set<string>();
      instrument.keywordTable.forEach((entry, j) => {
        const key = entry.column.toLowerCase();
        if (columns.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'keywordTable', j, 'column'], message: `duplicate column "${entry.column}"` });
        columns.add(key);
      });
    });
  });

/** An instrument's keyword table, ready for lookups. */
export interface KeywordTable {
  instrument: string;
  /** SQL table name, `kw_<instrument>` in lower case with `-` as `_`. */
  table: string;
  /** Column types by column name, in the order of the description. */
  columns: Map<string, KeywordColumnType>;
}

/** The SQL table of an instrument's keyword columns. */
export function keywordTableName(instrument: string): string {
  return `kw_${instrument.toLowerCase().replace(/-/g, '_')}`;
}

/** Keyword tables by instrument name in lower case (instrument names match case-insensitively). */
export type KeywordTables = Map<string, KeywordTable>;

/** Indexes validated instruments by name. */
export function keywordTables(instruments: readonly z.output<typeof catalogInstrumentsSchema>[number][]): KeywordTables {
  return new Map(
    instruments.map((i) => [
      i.name.toLowerCase(),
      {
        instrument: i.name,
        table: keywordTableName(i.name),
        columns: new Map(i.keywordTable.map((c) => [c.column, c.type])),
      },
    ]),
  );
}

/** True when `value` may be stored in a column of `type` (null aside): the check extraction makes while preparing. */
export const fitsColumn: (type: KeywordColumnType, value: string | number | boolean) => boolean = columnAccepts;

/**
 * Checks an archived file's `columns` against its instrument's keyword table: every column known, every value null
 * or of the column's type. A missing column is null: `nullable: false` is not enforced here, because column
 * extraction stores a missing required value as null with a warning, and the commit point is too late to refuse a
 * file already transferred. Files of instruments without a table pass unchecked (their columns are kept but
 * cannot be queried with `where`).
 *
 * @throws IngestError INVALID_OPTIONS naming the column
 */
export function checkColumns(file: ArchivedFile, tables: KeywordTables): void {
  const table = tables.get(file.instrument.toLowerCase());
  if (!table) return;
  const fail = (column: string, detail: string): never => {
    throw new IngestError('INVALID_OPTIONS', `archived file ${file.archiveId}: column "${column}" ${detail}`, {
      context: { file: file.originalName, field: `columns.${column}`, instrument: file.instrument },
    });
  };
  for (const [column, value] of Object.entries(file.columns)) {
    const type = table.columns.get(column);
    if (!type) fail(column, `is not in the keyword table of ${table.instrument} (${[...table.columns.keys()].join(', ')})`);
    else if (value !== null && !fitsColumn(type, value)) fail(column, `holds ${JSON.stringify(value)}, not a ${type}`);
  }
}

/** A column value as SQLite stores it: booleans as 0/1. */
export function toSqlValue(value: ColumnValue | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}
