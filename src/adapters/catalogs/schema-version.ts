/**
 * The schema version a catalog is at, read without migrating it (for `fits-ingest catalog migrate`, which shows
 * what it changed). Internal to src/adapters/catalogs.
 *
 * @module
 */
import { createPool, fromPgError } from './_postgres-driver.js';
import { redact } from '../_shared/redact.js';
import { PG_MIGRATIONS } from './_postgres-schema.js';
import { openDatabase } from '../_shared/sqlite-driver.js';
import { MIGRATIONS, schemaVersion } from './_sqlite-schema.js';

/** Where a catalog is: a SQLite file, or a PostgreSQL database (undefined: the PG* variables). */
export type CatalogLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString?: string | undefined };

/** The version the catalog is at (0: no catalog yet) and the latest this fits-ingest knows. */
export async function schemaVersionOf(location: CatalogLocation): Promise<{ version: number; latest: number }> {
  if (location.kind === 'sqlite') {
    const db = await openDatabase({ path: location.path, busyTimeoutMs: 10_000 });
    try {
      return { version: schemaVersion(db), latest: MIGRATIONS.at(-1)?.version ?? 0 };
    } finally {
      db.close();
    }
  }
  const context = { catalog: location.connectionString ? redact(location.connectionString) : 'postgres (PG* environment)' };
  const pool = await createPool({ connectionString: location.connectionString, maxConnections: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000, applicationName: 'fits-ingest-migrate' });
  try {
    const present = (await pool.query<{ ok: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`)).rows[0]?.ok === true;
    const { rows } = present ? await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations') : { rows: [{ v: 0 }] };
    return { version: rows[0]?.v ?? 0, latest: PG_MIGRATIONS.at(-1)?.version ?? 0 };
  } catch (error) {
    throw fromPgError(error, context);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** How many migrations this fits-ingest knows between two versions (`from` excluded): version numbers may skip. */
export function migrationsBetween(kind: CatalogLocation['kind'], from: number, to: number): number {
  return (kind === 'sqlite' ? MIGRATIONS : PG_MIGRATIONS).filter((m) => m.version > from && m.version <= to).length;
}
