/**
 * Copying a SQLite catalog into a PostgreSQL one (`fits-ingest catalog copy`), for an archive that outgrows one
 * machine: records, history, archived files with parents and locations, the keyword tables and the stored
 * instrument descriptions (every version), row for row, in one PostgreSQL transaction; then a check that both sides
 * hold the same number of rows in every table and the same archive id, SHA-256, size and source SHA-256 for every
 * archived file. Both catalogs must already be at their latest schema (open them with fits-ingest first, which
 * the command does). Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import { createPool, fromPgError, type Client } from './_postgres-driver.js';
import { redact } from '../_shared/redact.js';
import { openDatabase, type Db } from '../_shared/sqlite-driver.js';
import { quote } from './_sqlite-schema.js';

/** What {@link copySqliteToPostgres} copied and checked. */
export interface CopyReport {
  /** Rows copied per table, in copy order. */
  tables: { table: string; rows: number }[];
  /** Archived files whose archive id, SHA-256, size and source SHA-256 are equal on both sides. */
  verifiedFiles: number;
}

const CORE_TABLES = ['records', 'history', 'archived_files', 'archived_parents', 'archived_locations', 'instrument_descriptions'];
/** Identity columns PostgreSQL numbers itself (the order of the copy keeps their order). */
const GENERATED = new Set(['seq']);
const BATCH = 500;

type Row = Record<string, unknown>;

function sourceTables(db: Db): string[] {
  const kw = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'kw\\_%' ESCAPE '\\' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
  return [...CORE_TABLES, ...kw];
}

/** Source rows of `table` in the order they were written. */
function sourceRows(db: Db, table: string): { columns: string[]; rows: Row[] } {
  const info = db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; pk: number }[];
  const ddl = (db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).get(table) as { sql: string }).sql;
  const order = /WITHOUT ROWID/i.test(ddl) ? info.filter((c) => c.pk > 0).map((c) => quote(c.name)).join(', ') : 'rowid';
  const columns = info.map((c) => c.name).filter((c) => !GENERATED.has(c));
  return { columns, rows: db.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ORDER BY ${order}`).all() as Row[] };
}

async function targetColumns(c: Client, table: string): Promise<Map<string, string>> {
  const { rows } = await c.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
    [table.toLowerCase()],
  );
  return new Map(rows.map((r) => [r.column_name, r.data_type]));
}

async function copyTable(db: Db, c: Client, table: string): Promise<number> {
  const { columns, rows } = sourceRows(db, table);
  const target = await targetColumns(c, table);
  if (target.size === 0) throw new IngestError('CATALOG_UNUSABLE', `the PostgreSQL catalog has no table ${table}`, { context: { table }, hint: 'give the instrument descriptions of the source catalog (--instruments) so that their keyword tables exist' });
  const names = columns.map((col) => col.toLowerCase());
  const missing = names.filter((col) => !target.has(col));
  if (missing.length > 0) throw new IngestError('CATALOG_UNUSABLE', `table ${table} of the PostgreSQL catalog lacks the columns ${missing.join(', ')}`, { context: { table } });
  const boolean = names.map((col) => target.get(col) === 'boolean');
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    const params: unknown[] = [];
    const values = batch.map((row) => `(${columns.map((col, i) => {
      const v = row[col];
      params.push(boolean[i] && v !== null ? Boolean(v) : v);
      return `$${params.length}`;
    }).join(', ')})`);
    await c.query(`INSERT INTO "${table.toLowerCase()}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES ${values.join(', ')}`, params);
  }
  return rows.length;
}

const fileKey = (r: Row): string => [r['archive_id'], r['sha256'], Number(r['size']), r['source_sha256'], Number(r['is_current'])].join(' ');

/**
 * Copies the catalog at `sqlitePath` into the PostgreSQL database `connectionString` (whose tables fits-ingest has
 * created), then verifies the copy.
 *
 * @throws IngestError CATALOG_NOT_EMPTY when the target already holds records and `replace` is not set; CATALOG_UNUSABLE
 * when a table or column is missing in the target; COPY_MISMATCH when the verification finds a difference
 */
export async function copySqliteToPostgres(options: { sqlitePath: string; connectionString?: string | undefined; replace: boolean }): Promise<CopyReport> {
  const context = { catalog: options.connectionString ? redact(options.connectionString) : 'postgres (PG* environment)' };
  const db = await openDatabase({ path: options.sqlitePath, busyTimeoutMs: 10_000 });
  db.pragma('query_only = 1');
  const pool = await createPool({ connectionString: options.connectionString, maxConnections: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 600_000, applicationName: 'fits-ingest-copy' });
  let client: Client | undefined;
  try {
    client = await pool.connect();
    const c = client;
    const tables = sourceTables(db);
    const report: CopyReport = { tables: [], verifiedFiles: 0 };
    await c.query('BEGIN');
    try {
      const held = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM records')).rows[0]!.n);
      if (held > 0 && !options.replace) {
        throw new IngestError('CATALOG_NOT_EMPTY', `the PostgreSQL catalog already holds ${held} records; nothing was copied`, {
          context,
          hint: 'copy into an empty database, or give --replace to empty this one first (in the same transaction as the copy)',
        });
      }
      const present: string[] = [];
      for (const t of tables) if ((await targetColumns(c, t)).size > 0) present.push(`"${t.toLowerCase()}"`);
      // The descriptions opening the catalog stored are replaced by the source's own versions.
      if (present.length > 0) await c.query(`TRUNCATE ${present.join(', ')} CASCADE`);
      for (const table of tables) report.tables.push({ table, rows: await copyTable(db, c, table) });
      await c.query('COMMIT');
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    // Verify: equal counts in every table, and equal sums for every archived file.
    for (const { table, rows } of report.tables) {
      const n = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM "${table.toLowerCase()}"`)).rows[0]!.n);
      const s = (db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n;
      if (n !== s || n !== rows) throw new IngestError('COPY_MISMATCH', `table ${table}: ${s} rows in the SQLite catalog, ${n} in the PostgreSQL copy`, { context: { ...context, table } });
    }
    const source = new Map((db.prepare('SELECT * FROM archived_files').all() as Row[]).map((r) => [r['record_id'] as string, fileKey(r)]));
    for (const r of (await c.query('SELECT record_id, archive_id, sha256, size, source_sha256, is_current FROM archived_files')).rows as Row[]) {
      if (source.get(r['record_id'] as string) !== fileKey(r)) {
        throw new IngestError('COPY_MISMATCH', `archived file of record ${String(r['record_id'])} differs between the SQLite catalog and the copy`, { context: { ...context, recordId: String(r['record_id']) } });
      }
      report.verifiedFiles++;
    }
    return report;
  } catch (error) {
    throw fromPgError(error, context);
  } finally {
    client?.release();
    await pool.end().catch(() => undefined);
    db.close();
  }
}
