/**
 * The SQLite catalog's schema: numbered migrations recorded in `schema_migrations`, applied in one IMMEDIATE
 * transaction by {@link migrate}, and the per-instrument keyword tables `kw_<instrument>` made (and widened) from
 * the instrument descriptions. A migration is never edited once released: change the schema with a new one.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { KeywordColumnType, KeywordTables } from './_columns.js';
import type { Db } from '../_shared/sqlite-driver.js';

/** One schema change. `up` runs inside the migration transaction. */
export interface Migration {
  version: number;
  description: string;
  up(db: Db): void;
}

/** Non-final states when migration 1 was written (frozen here on purpose; a test compares it with STATES). */
export const ACTIVE_STATES_V1 = ['DETECTED', 'STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED', 'FAILED'] as const;
const active = ACTIVE_STATES_V1.map((s) => `'${s}'`).join(', ');

/** The migrations, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records, history, archived files with parents and locations',
    up(db) {
      db.exec(`
        CREATE TABLE records (
          id TEXT PRIMARY KEY,
          source TEXT NOT NULL,
          original_name TEXT NOT NULL,
          trigger_name TEXT NOT NULL,
          state TEXT NOT NULL,
          level INTEGER NOT NULL,
          parents TEXT NOT NULL,
          instrument TEXT,
          archive_id TEXT,
          night TEXT,
          size INTEGER,
          mtime_ms REAL,
          source_sha256 TEXT,
          staged TEXT,
          sha256 TEXT,
          staged_size INTEGER,
          location TEXT,
          attempts INTEGER NOT NULL,
          next_attempt_at INTEGER,
          resume_from TEXT,
          error TEXT,
          warnings TEXT NOT NULL,
          duplicate_of TEXT,
          superseded_by TEXT,
          metadata TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          version INTEGER NOT NULL,
          lease_owner TEXT,
          lease_until INTEGER
        );
        CREATE UNIQUE INDEX records_one_active_per_source ON records (source) WHERE state IN (${active});
        CREATE INDEX records_work ON records (created_at, id) WHERE state IN (${active});
        CREATE INDEX records_state ON records (state, created_at);
        CREATE INDEX records_created ON records (created_at, id);
        CREATE INDEX records_updated ON records (updated_at);
        CREATE INDEX records_archive_id ON records (archive_id) WHERE archive_id IS NOT NULL;
        CREATE INDEX records_source_sha256 ON records (source_sha256) WHERE source_sha256 IS NOT NULL;

        CREATE TABLE history (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          record_id TEXT NOT NULL REFERENCES records (id),
          at INTEGER NOT NULL,
          from_state TEXT,
          to_state TEXT NOT NULL,
          cause TEXT NOT NULL,
          actor TEXT NOT NULL,
          code TEXT,
          message TEXT
        );
        CREATE INDEX history_record ON history (record_id, seq);

        CREATE TABLE archived_files (
          record_id TEXT PRIMARY KEY REFERENCES records (id),
          archive_id TEXT NOT NULL,
          is_current INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1)),
          superseded_by TEXT,
          instrument TEXT NOT NULL,
          level INTEGER NOT NULL,
          parents TEXT NOT NULL,
          night TEXT NOT NULL,
          original_name TEXT NOT NULL,
          source TEXT NOT NULL,
          size INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          source_sha256 TEXT NOT NULL,
          hdus TEXT NOT NULL,
          column_values TEXT NOT NULL,
          header TEXT NOT NULL,
          program TEXT,
          date_obs TEXT,
          image_type TEXT,
          release_date TEXT,
          archived_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX archived_current_archive_id ON archived_files (archive_id) WHERE is_current = 1;
        CREATE INDEX archived_instrument_night ON archived_files (instrument, night);
        CREATE INDEX archived_night ON archived_files (night);
        CREATE INDEX archived_program ON archived_files (program) WHERE program IS NOT NULL;
        CREATE INDEX archived_sha256 ON archived_files (sha256);
        CREATE INDEX archived_source_sha256 ON archived_files (source_sha256);

        CREATE TABLE archived_parents (
          record_id TEXT NOT NULL REFERENCES archived_files (record_id),
          parent TEXT NOT NULL,
          PRIMARY KEY (record_id, parent)
        ) WITHOUT ROWID;
        CREATE INDEX archived_parents_parent ON archived_parents (parent);

        CREATE TABLE archived_locations (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          record_id TEXT NOT NULL REFERENCES archived_files (record_id),
          uri TEXT NOT NULL,
          transport TEXT NOT NULL,
          verified_at INTEGER NOT NULL,
          UNIQUE (record_id, uri)
        );
      `);
    },
  },
  {
    version: 2,
    description: 'media placement of a location (volume, copy, member, offset, serial) as JSON',
    up(db) {
      db.exec('ALTER TABLE archived_locations ADD COLUMN medium TEXT');
    },
  },
  {
    version: 3,
    description: 'instrument descriptions the catalog was built with, versioned',
    up(db) {
      db.exec(`
        CREATE TABLE instrument_descriptions (
          name_key TEXT NOT NULL,
          version INTEGER NOT NULL,
          name TEXT NOT NULL,
          description TEXT NOT NULL,
          saved_at INTEGER NOT NULL,
          PRIMARY KEY (name_key, version)
        );
      `);
    },
  },
  {
    version: 4,
    description: 'archive event log (ordered by seq) and webhook subscriptions with their cursors',
    up(db) {
      db.exec(`
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          kind TEXT NOT NULL,
          record_id TEXT,
          archive_id TEXT,
          instrument TEXT,
          level INTEGER NOT NULL,
          night TEXT,
          program TEXT,
          image_type TEXT,
          data TEXT NOT NULL
        );
        CREATE INDEX events_instrument ON events (instrument, seq);
        CREATE TABLE subscriptions (
          id TEXT PRIMARY KEY,
          site TEXT NOT NULL,
          token_sha256 TEXT,
          url TEXT NOT NULL,
          secret TEXT NOT NULL,
          filter TEXT NOT NULL,
          cursor INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 5,
    description: "products' provenance (parents with roles, pipeline name and version, parameters) as JSON",
    up(db) {
      db.exec('ALTER TABLE archived_files ADD COLUMN provenance TEXT');
    },
  },
  {
    version: 6,
    description: "collaborators a program's PI granted read access to its proprietary files",
    up(db) {
      db.exec(`
        CREATE TABLE program_grants (
          program TEXT NOT NULL,
          site TEXT NOT NULL,
          granted_by TEXT NOT NULL,
          granted_at INTEGER NOT NULL,
          PRIMARY KEY (program, site)
        );
      `);
    },
  },
];

/** The schema version a database is at (0 for a new file). */
export function schemaVersion(db: Db): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings the database to the latest schema in one IMMEDIATE transaction (so processes opening it together do it
 * once) and creates or widens the keyword tables. A failing migration rolls everything back.
 *
 * @throws IngestError CATALOG_UNUSABLE when the file is a foreign database or comes from a newer fits-ingest
 */
export function migrate(db: Db, tables: KeywordTables, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): number {
  const latest = migrations.at(-1)?.version ?? 0;
  const run = db.transaction(() => {
    const from = schemaVersion(db);
    if (from === 0) {
      const foreign = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all();
      if (foreign.length > 0) {
        throw new IngestError('CATALOG_UNUSABLE', `the file holds tables (${foreign.map((t) => (t as { name: string }).name).join(', ')}) but is not a fits-ingest catalog`, {
          context: { file: db.name },
        });
      }
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    }
    if (from > latest) {
      throw new IngestError('CATALOG_UNUSABLE', `the catalog is at schema version ${from}; this fits-ingest knows up to ${latest}`, {
        context: { file: db.name, version: from },
        hint: 'upgrade fits-ingest to open this catalog (older versions never downgrade a catalog)',
      });
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      migration.up(db);
      record.run(migration.version, migration.description, now);
    }
    ensureKeywordTables(db, tables);
    return from;
  });
  return run.immediate();
}

const SQL_TYPES: Record<KeywordColumnType, string> = {
  string: 'TEXT',
  integer: 'INTEGER',
  real: 'REAL',
  boolean: 'INTEGER',
  date: 'TEXT',
  datetime: 'TEXT',
};

/** `"name"`: names were validated (letters, digits, `_`), quoting guards against keywords. */
export const quote = (name: string): string => `"${name}"`;

function columnSql(column: string, type: KeywordColumnType): string {
  const check = type === 'boolean' ? ` CHECK (${quote(column)} IN (0, 1))` : '';
  return `${quote(column)} ${SQL_TYPES[type]}${check}`;
}

/**
 * One STRICT table per instrument, keyed by the archived file's record id, with a typed column per keyword-table
 * entry. Columns added to a description are added to the table; a column whose type changed is refused.
 */
function ensureKeywordTables(db: Db, tables: KeywordTables): void {
  for (const { instrument, table, columns } of tables.values()) {
    const existing = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(table) as { name: string; type: string }[];
    if (existing.length === 0) {
      const defs = [...columns].map(([column, type]) => columnSql(column, type));
      db.exec(`CREATE TABLE ${quote(table)} (record_id TEXT PRIMARY KEY REFERENCES archived_files (record_id)${defs.map((d) => `, ${d}`).join('')}) STRICT`);
      continue;
    }
    const have = new Map(existing.map((c) => [c.name.toLowerCase(), c.type.toUpperCase()]));
    for (const [column, type] of columns) {
      const stored = have.get(column.toLowerCase());
      if (stored === undefined) db.exec(`ALTER TABLE ${quote(table)} ADD COLUMN ${columnSql(column, type)}`);
      else if (stored !== SQL_TYPES[type]) {
        throw new IngestError('INVALID_OPTIONS', `column "${column}" of ${instrument} is ${stored} in the catalog but ${type} in the description`, {
          context: { field: `instruments.${instrument}.keywordTable.${column}`, instrument, column },
          hint: 'give the column a new name; a catalog column never changes type',
        });
      }
    }
  }
}
