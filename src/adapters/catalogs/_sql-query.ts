/**
 * SQL for the catalog's queries, always parameterized: values are bound, and the only names written into the SQL
 * are fixed ones or keyword columns already checked against the instrument descriptions. Internal to
 * src/adapters/catalogs.
 *
 * @module
 */
import type { FileQuery, RecordQuery } from '../../core/ports/catalog.js';
import { limitOf } from './_checks.js';
import { toSqlValue, type KeywordTables } from './_columns.js';
import { resolvePredicates, type ResolvedPredicate } from './_predicates.js';
import { quote } from './_sqlite-schema.js';

/**
 * SQLite (`?` placeholders, lists as JSON) or PostgreSQL (`$n` placeholders, lists as arrays, lower-case keyword
 * columns, numeric parameters cast so an integer column compares with a real value).
 */
export type Dialect = 'sqlite' | 'postgres';

/** A statement and its positional parameters. */
export interface Sql {
  sql: string;
  params: unknown[];
}

/** Collects `AND`-ed conditions with their parameters. */
class Where {
  constructor(readonly dialect: Dialect) {}
  readonly terms: string[] = [];
  readonly params: unknown[] = [];

  add(term: string, ...params: unknown[]): void {
    this.terms.push(term);
    this.params.push(...params);
  }

  /** `column IN (…)` for a list bound as one JSON array, so any length works with one placeholder. */
  addIn(column: string, values: readonly unknown[] | undefined): void {
    if (values === undefined) return;
    if (this.dialect === 'postgres') this.add(`${column} = ANY(?)`, [...values]);
    else this.add(`${column} IN (SELECT value FROM json_each(?))`, JSON.stringify(values));
  }

  addEq(column: string, value: unknown): void {
    if (value !== undefined) this.add(`${column} = ?`, value);
  }

  toString(): string {
    return this.terms.length === 0 ? '' : `WHERE ${this.terms.join(' AND ')}`;
  }
}

/** SELECT for {@link RecordQuery}: oldest first (or newest), ties by id. */
export function recordQuerySql(query: RecordQuery, dialect: Dialect = 'sqlite'): Sql {
  const where = new Where(dialect);
  where.addIn('id', query.ids);
  where.addIn('state', query.states);
  where.addEq('source', query.source);
  where.addEq('instrument', query.instrument);
  where.addEq('archive_id', query.archiveId);
  where.addEq('source_sha256', query.sourceSha256);
  if (query.updatedBefore !== undefined) where.add('updated_at < ?', query.updatedBefore);
  const order = query.newestFirst ? 'DESC' : 'ASC';
  return inDialect(dialect, {
    sql: `SELECT * FROM records ${where} ORDER BY created_at ${order}, id ${order} LIMIT ?`,
    params: [...where.params, limitOf(query.limit)],
  });
}

/** The SQL for `dialect`: `?` numbered `$1`, `$2`… for PostgreSQL (the fixed SQL holds no other `?`). */
function inDialect(dialect: Dialect, { sql, params }: Sql): Sql {
  if (dialect === 'sqlite') return { sql, params };
  let n = 0;
  return { sql: sql.replace(/\?/g, () => `$${++n}`), params };
}

function predicateSql(p: ResolvedPredicate, dialect: Dialect): Sql {
  const pg = dialect === 'postgres';
  const column = p.scope === 'keyword' ? `k.${pg ? quote(p.sqlColumn.toLowerCase()) : quote(p.sqlColumn)}` : `a.${p.sqlColumn}`;
  const values = p.values.map(toSqlValue);
  const cast = pg && (p.type === 'integer' || p.type === 'real') ? '::double precision' : pg && p.type === 'boolean' ? '::boolean' : '';
  const one = `?${cast}`;
  switch (p.op) {
    case 'null':
      return { sql: `${column} IS NULL`, params: [] };
    case 'not-null':
      return { sql: `${column} IS NOT NULL`, params: [] };
    case 'in':
      return { sql: `${column} IN (${values.map(() => one).join(', ')})`, params: values };
    case 'like':
      return { sql: `${column} ${pg ? 'ILIKE' : 'LIKE'} ? ESCAPE '\\'`, params: values };
    default:
      return { sql: `${column} ${p.op} ${one}`, params: values };
  }
}

/**
 * SELECT of current archived files for {@link FileQuery}, by archive id. Keyword predicates join the instrument's
 * `kw_` table (LEFT JOIN, so `null` also finds files without a keyword row).
 *
 * @throws IngestError INVALID_OPTIONS for an unknown column or a bad predicate value (see resolvePredicates)
 */
export function archivedQuerySql(query: FileQuery, tables: KeywordTables, dialect: Dialect = 'sqlite'): Sql {
  const predicates = resolvePredicates(query, tables);
  const where = new Where(dialect);
  where.add('a.is_current = 1');
  where.addIn('a.archive_id', query.archiveIds);
  where.addEq('a.instrument', query.instrument);
  where.addEq('a.program', query.program);
  where.addEq('a.level', query.level);
  if (query.nightFrom !== undefined) where.add('a.night >= ?', query.nightFrom);
  if (query.nightTo !== undefined) where.add('a.night <= ?', query.nightTo);
  if (query.parent !== undefined) {
    where.add('EXISTS (SELECT 1 FROM archived_parents p WHERE p.record_id = a.record_id AND p.parent = ?)', query.parent);
  }
  where.addEq('a.sha256', query.sha256);
  where.addEq('a.source_sha256', query.sourceSha256);
  for (const p of predicates) {
    const { sql, params } = predicateSql(p, dialect);
    where.add(sql, ...params);
  }
  const table = query.instrument === undefined ? undefined : tables.get(query.instrument.toLowerCase());
  const join = predicates.some((p) => p.scope === 'keyword') && table ? `LEFT JOIN ${quote(table.table)} k ON k.record_id = a.record_id` : '';
  return inDialect(dialect, {
    sql: `SELECT a.* FROM archived_files a ${join} ${where} ORDER BY a.archive_id LIMIT ?`,
    params: [...where.params, limitOf(query.limit)],
  });
}
