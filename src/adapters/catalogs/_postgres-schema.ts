/**
 * The PostgreSQL catalog's schema: numbered migrations recorded in `schema_migrations`, applied by {@link migrate}
 * in one transaction under an advisory lock (several hosts opening the catalog together migrate it once), and the
 * per-instrument keyword tables `kw_<instrument>` with typed columns. Text columns use the "C" collation so that
 * ordering and comparisons are by code point, as in the SQLite catalog, whatever the database's locale. A
 * migration is never edited once released: change the schema with a new one. Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { KeywordColumnType, KeywordTables } from './_columns.js';
import type { Client } from './_postgres-driver.js';
import { ACTIVE_STATES_V1 } from './_sqlite-schema.js';

/** One schema change, run inside the migration transaction. */
export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

/** Key of the advisory lock the migration holds (any constant; "fitsingest" in ASCII, truncated to 63 bits). */
export const MIGRATION_LOCK = 0x66697473696e67n;

const T = 'TEXT COLLATE "C"';
const active = ACTIVE_STATES_V1.map((s) => `'${s}'`).join(', ');

/** The migrations, oldest first. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'records, history, archived files with parents and locations, instrument descriptions',
    sql: `
      CREATE TABLE records (
        id ${T} PRIMARY KEY, source ${T} NOT NULL, original_name ${T} NOT NULL, trigger_name ${T} NOT NULL,
        state ${T} NOT NULL, level INTEGER NOT NULL, parents TEXT NOT NULL, instrument ${T}, archive_id ${T},
        night ${T}, size BIGINT, mtime_ms DOUBLE PRECISION, source_sha256 ${T}, staged TEXT, sha256 ${T},
        staged_size BIGINT, location TEXT, attempts INTEGER NOT NULL, next_attempt_at DOUBLE PRECISION,
        resume_from TEXT, error TEXT, warnings TEXT NOT NULL, duplicate_of ${T}, superseded_by ${T},
        metadata TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
        version INTEGER NOT NULL, lease_owner TEXT, lease_until DOUBLE PRECISION
      );
      CREATE UNIQUE INDEX records_one_active_per_source ON records (source) WHERE state IN (${active});
      CREATE INDEX records_work ON records (created_at, id) WHERE state IN (${active});
      CREATE INDEX records_state ON records (state, created_at);
      CREATE INDEX records_created ON records (created_at, id);
      CREATE INDEX records_updated ON records (updated_at);
      CREATE INDEX records_archive_id ON records (archive_id) WHERE archive_id IS NOT NULL;
      CREATE INDEX records_source_sha256 ON records (source_sha256) WHERE source_sha256 IS NOT NULL;

      CREATE TABLE history (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, record_id ${T} NOT NULL REFERENCES records (id),
        at DOUBLE PRECISION NOT NULL, from_state TEXT, to_state TEXT NOT NULL, cause TEXT NOT NULL, actor TEXT NOT NULL,
        code TEXT, message TEXT
      );
      CREATE INDEX history_record ON history (record_id, seq);

      CREATE TABLE archived_files (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        record_id ${T} PRIMARY KEY REFERENCES records (id), archive_id ${T} NOT NULL,
        is_current INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1)), superseded_by ${T},
        instrument ${T} NOT NULL, level INTEGER NOT NULL, parents TEXT NOT NULL, night ${T} NOT NULL,
        original_name ${T} NOT NULL, source ${T} NOT NULL, size BIGINT NOT NULL, sha256 ${T} NOT NULL,
        source_sha256 ${T} NOT NULL, hdus TEXT NOT NULL, column_values TEXT NOT NULL, header TEXT NOT NULL,
        program ${T}, date_obs ${T}, image_type ${T}, release_date ${T}, archived_at DOUBLE PRECISION NOT NULL
      );
      CREATE UNIQUE INDEX archived_current_archive_id ON archived_files (archive_id) WHERE is_current = 1;
      CREATE INDEX archived_instrument_night ON archived_files (instrument, night);
      CREATE INDEX archived_night ON archived_files (night);
      CREATE INDEX archived_program ON archived_files (program) WHERE program IS NOT NULL;
      CREATE INDEX archived_sha256 ON archived_files (sha256);
      CREATE INDEX archived_source_sha256 ON archived_files (source_sha256);

      CREATE TABLE archived_parents (
        record_id ${T} NOT NULL REFERENCES archived_files (record_id), parent ${T} NOT NULL,
        PRIMARY KEY (record_id, parent)
      );
      CREATE INDEX archived_parents_parent ON archived_parents (parent);

      CREATE TABLE archived_locations (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, record_id ${T} NOT NULL REFERENCES archived_files (record_id),
        uri ${T} NOT NULL, transport TEXT NOT NULL, verified_at DOUBLE PRECISION NOT NULL, medium TEXT,
        UNIQUE (record_id, uri)
      );

      CREATE TABLE instrument_descriptions (
        name_key ${T} NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
        saved_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (name_key, version)
      );
    `,
  },
  {
    version: 2,
    description: 'archive event log (ordered by seq, written under EVENTS_LOCK) and webhook subscriptions with their cursors',
    sql: `
      CREATE TABLE events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
        record_id ${T}, archive_id ${T}, instrument ${T}, level INTEGER NOT NULL, night ${T}, program ${T},
        image_type ${T}, data TEXT NOT NULL
      );
      CREATE INDEX events_instrument ON events (instrument, seq);
      CREATE TABLE subscriptions (
        id ${T} PRIMARY KEY, site ${T} NOT NULL, token_sha256 ${T}, url TEXT NOT NULL, secret TEXT NOT NULL,
        filter TEXT NOT NULL, cursor BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: "products' provenance (parents with roles, pipeline name and version, parameters) as JSON",
    sql: 'ALTER TABLE archived_files ADD COLUMN provenance TEXT',
  },
  {
    version: 4,
    description: "collaborators a program's PI granted read access to its proprietary files",
    sql: `
      CREATE TABLE program_grants (
        program ${T} NOT NULL, site ${T} NOT NULL, granted_by ${T} NOT NULL, granted_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (program, site)
      );
    `,
  },
];

/**
 * Key of the advisory lock a transaction takes just before it inserts an event and holds until it commits: events
 * get their seq in commit order, so a reader that saw event n has seen every event before it ("fitsevnt").
 */
export const EVENTS_LOCK = 0x66697473_65766e74n;

/**
 * Brings the database to the latest schema and creates or widens the keyword tables, in one transaction holding
 * the advisory lock {@link MIGRATION_LOCK}; returns the version it started from. A failure rolls everything back.
 *
 * @throws IngestError CATALOG_UNUSABLE when the database holds a catalog from a newer fits-ingest
 */
export async function migrate(client: Client, tables: KeywordTables, migrations: readonly PgMigration[] = PG_MIGRATIONS, now = Date.now()): Promise<number> {
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const from = rows[0]?.v ?? 0;
    if (from > latest) {
      throw new IngestError('CATALOG_UNUSABLE', `the catalog is at schema version ${from}; this fits-ingest knows up to ${latest}`, {
        context: { version: from },
        hint: 'upgrade fits-ingest to open this catalog (older versions never downgrade a catalog)',
      });
    }
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.description, now]);
    }
    await ensureKeywordTables(client, tables);
    await client.query('COMMIT');
    return from;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

const PG_TYPES: Record<KeywordColumnType, string> = {
  string: T,
  integer: 'BIGINT',
  real: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  date: T,
  datetime: T,
};
/** information_schema.columns.data_type of each type. */
const INFO_TYPES: Record<KeywordColumnType, string> = {
  string: 'text',
  integer: 'bigint',
  real: 'double precision',
  boolean: 'boolean',
  date: 'text',
  datetime: 'text',
};

/** A keyword column in SQL: lower case (PostgreSQL folds unquoted names; names were validated), quoted. */
export const pgColumn = (name: string): string => `"${name.toLowerCase()}"`;

/** One table per instrument keyed by record id; columns added to a description are added, a changed type is refused. */
async function ensureKeywordTables(client: Client, tables: KeywordTables): Promise<void> {
  for (const { instrument, table, columns } of tables.values()) {
    const { rows } = await client.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
      [table],
    );
    if (rows.length === 0) {
      const defs = [...columns].map(([column, type]) => `, ${pgColumn(column)} ${PG_TYPES[type]}`).join('');
      await client.query(`CREATE TABLE "${table}" (record_id ${T} PRIMARY KEY REFERENCES archived_files (record_id)${defs})`);
      continue;
    }
    const have = new Map(rows.map((c) => [c.column_name.toLowerCase(), c.data_type]));
    for (const [column, type] of columns) {
      const stored = have.get(column.toLowerCase());
      if (stored === undefined) await client.query(`ALTER TABLE "${table}" ADD COLUMN ${pgColumn(column)} ${PG_TYPES[type]}`);
      else if (stored !== INFO_TYPES[type]) {
        throw new IngestError('INVALID_OPTIONS', `column "${column}" of ${instrument} is ${stored} in the catalog but ${type} in the description`, {
          context: { field: `instruments.${instrument}.keywordTable.${column}`, instrument, column },
          hint: 'give the column a new name; a catalog column never changes type',
        });
      }
    }
  }
}
