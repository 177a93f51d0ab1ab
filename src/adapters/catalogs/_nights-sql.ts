/**
 * The nights list in SQL (SQLite and PostgreSQL): current archived files counted by night, instrument and level.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import type { Level } from '../../core/lifecycle/record.js';
import type { NightSummary } from '../../core/ports/catalog.js';
import type { Dialect, Sql } from './_sql-query.js';

/** SELECT of {@link NightSummary} rows, newest night first. */
export function nightsSql(query: { instrument?: string; nightFrom?: string; nightTo?: string }, dialect: Dialect): Sql {
  const terms = ['is_current = 1'];
  const params: unknown[] = [];
  if (query.instrument !== undefined) terms.push('instrument = ?'), params.push(query.instrument);
  if (query.nightFrom !== undefined) terms.push('night >= ?'), params.push(query.nightFrom);
  if (query.nightTo !== undefined) terms.push('night <= ?'), params.push(query.nightTo);
  let n = 0;
  const sql = `SELECT night, instrument, level, count(*) AS files FROM archived_files WHERE ${terms.join(' AND ')}
    GROUP BY night, instrument, level ORDER BY night DESC, instrument, level`;
  return { sql: dialect === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql, params };
}

/** A row of {@link nightsSql}. */
export const rowToNight = (row: Record<string, unknown>): NightSummary => ({
  night: row['night'] as string,
  instrument: row['instrument'] as string,
  level: Number(row['level']) as Level,
  files: Number(row['files']),
});
