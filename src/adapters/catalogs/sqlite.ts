/**
 * SQLite catalog (better-sqlite3): the embedded default. One file, WAL mode, shared safely by several processes
 * on one machine; every write is all or nothing (a savepoint of an IMMEDIATE transaction) even if the process is
 * killed, and claims by two processes never hand out the same record. Writes are group-committed: those of one
 * turn of the event loop share one transaction and one flush of the WAL (see _sqlite-group-commit.ts).
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { STATES, type StateName } from '../../core/lifecycle/states.js';
import type { ArchivedFile, CompleteCatalog, FileLocation, StoredInstrument } from '../../core/ports/catalog.js';
import { initOnce } from '../../core/runtime/once.js';
import { parseOptions } from '../_shared/options.js';
import {
  activeSourceConflict,
  archiveIdTaken,
  archivedNotFound,
  checkCommit,
  checkImport,
  checkRecord,
  recordIdTaken,
  recordNotFound,
  versionConflict,
} from './_checks.js';
import { checkClaim } from './_claims.js';
import { catalogInstrumentsSchema, keywordTables, toSqlValue } from './_columns.js';
import { addStoredTables, instrumentNames, newVersions, withInstrumentName } from './_instruments.js';
import { fromSqliteError, openDatabase, violatesUnique, type Db } from '../_shared/sqlite-driver.js';
import { sqliteEvents } from './_sqlite-events.js';
import { nightsSql, rowToNight } from './_nights-sql.js';
import { killHooksFromEnv, mayFlushLazily, WalFlusher, WriteBatcher } from './_sqlite-group-commit.js';
import { archivedQuerySql, recordQuerySql } from './_sql-query.js';
import {
  archivedColumnNames,
  archivedToRow,
  entryToRow,
  recordColumnNames,
  recordToRow,
  rowToArchived,
  rowToEntry,
  rowToLocation,
  rowToRecord,
} from './_sql-rows.js';
import { ACTIVE_STATES_V1, migrate, quote } from './_sqlite-schema.js';

/** The name of the SQLite catalog. */
export const SQLITE_CATALOG_NAME = 'sqlite';

const sqliteCatalogOptionsSchema = z.strictObject({
  /**
   * Path of the database file (created if missing; its directory must exist). WAL mode keeps `-wal` and `-shm`
   * files next to it. Must be on a local disk: WAL does not work over network file systems.
   */
  path: z
    .string()
    .min(1)
    .refine((p) => p.trim() !== ':memory:' && !p.startsWith('file:'), 'a file path (use createMemoryCatalog for a catalog in memory)'),
  /**
   * Instrument descriptions (name and keywordTable): each gets a table `kw_<name>` of typed columns, filled at
   * commit and queried by `findArchived({ instrument, where })`. Columns added later are added to the table. The
   * whole descriptions are stored in the catalog (a new version when one changed, see `storedInstruments`), so a
   * catalog later opened without them still queries their columns.
   * @default []
   */
  instruments: catalogInstrumentsSchema.default([]),
  /**
   * How long a write waits for another process's lock before failing with CATALOG_BUSY (transient), in ms.
   * @default 5000
   */
  busyTimeoutMs: z.int().min(0).max(2_147_483_647).default(5000),
  /**
   * `full`: a write is on disk before it returns, so a committed ARCHIVED survives a power loss or OS crash.
   * Flushes are shared (group commit): transactions are appended to the WAL without a flush each, and one `fsync`
   * of the WAL makes every transaction committed before it durable. A transition into an in-flight state (STABLE,
   * PREPARED, TRANSFERRING, TRANSFERRED) is not waited for: it becomes durable with the next flush, at the latest
   * with the file's ARCHIVED commit; lost to a power cut, its step is redone from the state before. `normal`: no
   * write waits for a flush; commits survive the process being killed (SIGKILL) but the last ones may be lost on
   * power loss. Records lost that way are redone on restart from their earlier state.
   * @default 'full'
   */
  synchronous: z.enum(['full', 'normal']).default('full'),
  /**
   * Path of a `better_sqlite3.node` addon built elsewhere (better-sqlite3's `nativeBinding`).
   * @default undefined (the addon installed with better-sqlite3)
   */
  nativeBinding: z.string().min(1).optional(),
});

/** Options of {@link createSqliteCatalog}. */
export type SqliteCatalogOptions = z.input<typeof sqliteCatalogOptionsSchema>;

type Row = Record<string, unknown>;

const ACTIVE = ACTIVE_STATES_V1.map((s) => `'${s}'`).join(', ');
const SQL = {
  insertRecord: `INSERT INTO records (${recordColumnNames.join(', ')}) VALUES (${recordColumnNames.map((c) => `@${c}`).join(', ')})`,
  updateRecord: `UPDATE records SET ${recordColumnNames
    .filter((c) => c !== 'id')
    .map((c) => `${c} = @${c}`)
    .join(', ')} WHERE id = @id AND version = @expected`,
  activeBySource: `SELECT * FROM records WHERE source = ? AND state IN (${ACTIVE})`,
  newestArchived: "SELECT * FROM records WHERE source = ? AND state = 'ARCHIVED' ORDER BY created_at DESC, id DESC LIMIT 1",
  insertHistory: `INSERT INTO history (record_id, at, from_state, to_state, cause, actor, code, message)
    VALUES (@record_id, @at, @from_state, @to_state, @cause, @actor, @code, @message)`,
  claim: `UPDATE records SET lease_owner = @owner, lease_until = @until WHERE id IN (
      SELECT id FROM records
      WHERE state IN (${ACTIVE}) AND (state <> 'FAILED' OR next_attempt_at IS NULL OR next_attempt_at <= @now)
        AND (lease_owner IS NULL OR lease_until <= @now OR lease_owner = @owner)
      ORDER BY created_at, id LIMIT @limit)
    RETURNING *`,
  insertArchived: `INSERT INTO archived_files (${archivedColumnNames.join(', ')}) VALUES (${archivedColumnNames.map((c) => `@${c}`).join(', ')})`,
  currentArchived: 'SELECT * FROM archived_files WHERE archive_id = ? AND is_current = 1',
  lease: 'UPDATE records SET lease_owner = ?, lease_until = ? WHERE id = ?',
  locations: 'SELECT uri, transport, verified_at AS verifiedAt, medium FROM archived_locations WHERE record_id = ? ORDER BY seq',
  upsertLocation: `INSERT INTO archived_locations (record_id, uri, transport, verified_at, medium) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (record_id, uri) DO UPDATE SET transport = excluded.transport, verified_at = excluded.verified_at, medium = excluded.medium`,
};

const byAge = (a: FileRecord, b: FileRecord): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Creates a SQLite catalog on one file. Capabilities: durable, shared by processes on one machine. */
export function createSqliteCatalog(options: SqliteCatalogOptions): CompleteCatalog {
  const settings = parseOptions(sqliteCatalogOptionsSchema, options, 'SQLite catalog');
  const tables = keywordTables(settings.instruments);
  const givenInstruments: readonly unknown[] = options.instruments ?? [];
  let names = new Map<string, string>();
  const context = { file: settings.path };
  let db: Db | undefined;
  const flusher = new WalFlusher(settings.path);
  const batcher = new WriteBatcher(
    (body) => connection().transaction(body).immediate(),
    (fn) => connection().transaction(fn)(),
    settings.synchronous === 'full' ? () => flusher.durable() : undefined,
    (error) => fromSqliteError(error, context),
    () => connection().inTransaction,
    killHooksFromEnv(process.env['FITS_INGEST_TEST_KILL']),
  );
  const cache = new Map<string, BetterSqlite3.Statement>();

  function connection(): Db {
    if (!db) throw new IngestError('CATALOG_NOT_OPEN', 'the SQLite catalog is not open', { context });
    return db;
  }

  /** A prepared statement for a fixed SQL text, kept for the life of the connection. */
  function stmt(sql: string): BetterSqlite3.Statement {
    let prepared = cache.get(sql);
    if (!prepared) cache.set(sql, (prepared = connection().prepare(sql)));
    return prepared;
  }

  /**
   * Runs `fn` with SQLite errors mapped to IngestErrors: `write` in a savepoint of the next batch's IMMEDIATE
   * transaction (takes the write lock first, so it never fails half-way on a lock; all or nothing for `fn`),
   * resolving once committed and, unless `lazy`, flushed; `snapshot` as a read transaction (several SELECTs see
   * one state).
   */
  async function run<T>(fn: () => T, mode: 'single' | 'snapshot' | 'write' = 'single', flush: 'durable' | 'lazy' = 'durable', tag?: string): Promise<T> {
    // Writes are batched: one transaction per turn of the event loop, flushed once (see _sqlite-group-commit.ts).
    if (mode === 'write') return batcher.write(fn, flush === 'durable', tag);
    try {
      return mode === 'single' ? fn() : connection().transaction(fn).deferred();
    } catch (error) {
      throw fromSqliteError(error, context);
    }
  }

  const events = sqliteEvents(stmt);

  function addHistory(entry: HistoryEntry | undefined): void {
    if (entry) stmt(SQL.insertHistory).run(entryToRow(entry));
  }

  /** Stores `record` where the stored version is one less, or throws CONFLICT / NOT_FOUND. */
  function updateRow(record: FileRecord): void {
    let changes: number;
    try {
      changes = stmt(SQL.updateRecord).run({ ...recordToRow(record), expected: record.version - 1 }).changes;
    } catch (error) {
      if (violatesUnique(error, 'records.source')) throw activeSourceConflict(record);
      throw error;
    }
    if (changes === 0) {
      const found = stmt('SELECT version FROM records WHERE id = ?').get(record.id) as { version: number } | undefined;
      throw found ? versionConflict(record, found.version) : recordNotFound(record.id);
    }
  }

  function locationsOf(recordId: string): FileLocation[] {
    return (stmt(SQL.locations).all(recordId) as (FileLocation & { medium: string | null })[]).map(rowToLocation);
  }

  function upsertLocation(recordId: unknown, l: FileLocation): void {
    stmt(SQL.upsertLocation).run(recordId, l.uri, l.transport, l.verifiedAt, l.medium ? JSON.stringify(l.medium) : null);
  }

  function writeArchived(file: ArchivedFile): void {
    const holder = stmt(SQL.currentArchived).get(file.archiveId) as Row | undefined;
    if (holder) throw archiveIdTaken(file, holder['record_id'] as string);
    stmt(SQL.insertArchived).run(archivedToRow(file));
    for (const parent of file.parents) {
      stmt('INSERT OR IGNORE INTO archived_parents (record_id, parent) VALUES (?, ?)').run(file.recordId, parent);
    }
    for (const l of file.locations) upsertLocation(file.recordId, l);
    const table = tables.get(file.instrument.toLowerCase());
    if (table) {
      const columns = [...table.columns.keys()];
      const sql = `INSERT INTO ${quote(table.table)} (record_id${columns.map((c) => `, ${quote(c)}`).join('')}) VALUES (?${', ?'.repeat(columns.length)})`;
      stmt(sql).run(file.recordId, ...columns.map((c) => toSqlValue(file.columns[c])));
    }
  }

  function readInstruments(from: Db, allVersions: boolean): StoredInstrument[] {
    const sql = allVersions
      ? 'SELECT * FROM instrument_descriptions ORDER BY name_key, version'
      : `SELECT d.* FROM instrument_descriptions d WHERE version = (SELECT max(version) FROM instrument_descriptions e WHERE e.name_key = d.name_key) ORDER BY name_key`;
    return (from.prepare(sql).all() as Row[]).map((r) => ({
      name: r['name'] as string,
      version: r['version'] as number,
      description: JSON.parse(r['description'] as string) as unknown,
      savedAt: r['saved_at'] as number,
    }));
  }

  /** Stores changed descriptions as new versions (one IMMEDIATE transaction) and returns the latest of each. */
  function storeInstruments(opened: Db): StoredInstrument[] {
    const insert = opened.prepare('INSERT OR IGNORE INTO instrument_descriptions (name_key, version, name, description, saved_at) VALUES (?, ?, ?, ?, ?)');
    const store = opened.transaction(() => {
      for (const s of newVersions(readInstruments(opened, false), givenInstruments, Date.now())) {
        insert.run(s.name.toLowerCase(), s.version, s.name, JSON.stringify(s.description), s.savedAt);
      }
      return readInstruments(opened, false);
    });
    return store.immediate();
  }

  // Init-once: concurrent callers share one opening (two would each open a connection and one would leak), a
  // failed init is forgotten so the next call tries again, and close() resets it.
  const initialized = initOnce(async () => {
    const opened = await openDatabase(settings);
    try {
      const mode = opened.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new IngestError('INVALID_OPTIONS', `the catalog file cannot use WAL mode (journal mode stays "${String(mode)}")`, {
          context: { ...context, field: 'path' },
          hint: 'put the catalog on a local disk (network file systems do not support WAL)',
        });
      }
      // Schema and descriptions are written with every commit synced; afterwards commits only append to the WAL
      // and `run` flushes it, shared between writers (see _sqlite-group-commit.ts).
      opened.pragma('synchronous = FULL');
      opened.pragma('foreign_keys = ON');
      // Savepoints (one per write of a batch) and sorts keep their scratch data in memory, not in temp files.
      opened.pragma('temp_store = MEMORY');
      migrate(opened, tables);
      const stored = storeInstruments(opened);
      addStoredTables(tables, stored);
      names = instrumentNames(stored);
      opened.pragma('synchronous = NORMAL');
      if (settings.synchronous === 'full') await flusher.syncDirectory();
      db = opened;
    } catch (error) {
      opened.close();
      throw fromSqliteError(error, context);
    }
  });

  return {
    name: SQLITE_CATALOG_NAME,
    capabilities: { durable: true, shared: true },

    init: initialized,

    async close() {
      await batcher.settle();
      await flusher.settle();
      cache.clear();
      db?.close();
      db = undefined;
      initialized.reset();
    },

    async insertRecord(record, entry, lease, guard) {
      checkRecord(record, entry);
      return run((): { inserted: boolean; record: FileRecord; archived?: FileRecord } => {
        const active = stmt(SQL.activeBySource).get(record.source) as Row | undefined;
        if (active) return { inserted: false, record: rowToRecord(active) };
        // Inside the batch's IMMEDIATE transaction: no process can archive the source between this check and the insert.
        const newest = guard && (stmt(SQL.newestArchived).get(record.source) as Row | undefined);
        if (guard && newest && newest['id'] !== guard.lastArchived) return { inserted: false, record: rowToRecord(newest), archived: rowToRecord(newest) };
        try {
          stmt(SQL.insertRecord).run(recordToRow(record));
          if (lease) stmt(SQL.lease).run(lease.owner, lease.until, record.id);
        } catch (error) {
          if (violatesUnique(error, 'records.id')) throw recordIdTaken(record);
          throw error;
        }
        addHistory(entry);
        return { inserted: true, record: rowToRecord(recordToRow(record)) };
      }, 'write');
    },

    async getRecord(id) {
      return run(() => {
        const row = stmt('SELECT * FROM records WHERE id = ?').get(id) as Row | undefined;
        return row && rowToRecord(row);
      });
    },

    async updateRecord(record, entry) {
      checkRecord(record, entry);
      return run(
        () => {
          updateRow(record);
          addHistory(entry);
          events.record(record, entry);
        },
        'write',
        mayFlushLazily(record) ? 'lazy' : 'durable',
      );
    },

    async findRecords(query) {
      return run(() => {
        const { sql, params } = recordQuerySql(query);
        return (connection().prepare(sql).all(...params) as Row[]).map(rowToRecord);
      });
    },

    async history(recordId) {
      return run(() => (stmt('SELECT * FROM history WHERE record_id = ? ORDER BY seq').all(recordId) as Row[]).map(rowToEntry));
    },

    async counts() {
      return run(() => {
        const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<StateName, number>;
        const rows = stmt('SELECT state, count(*) AS n FROM records GROUP BY state').all() as { state: StateName; n: number }[];
        for (const { state, n } of rows) counts[state] = n;
        return counts;
      });
    },

    async claim(options) {
      checkClaim(options);
      const { owner, now, leaseMs, limit } = options;
      return run(() => {
        const rows = stmt(SQL.claim).all({ owner, now, until: now + leaseMs, limit }) as Row[];
        return rows.map(rowToRecord).sort(byAge);
      }, 'write');
    },

    async release(recordId, owner) {
      return run(() => {
        const { changes } = stmt('UPDATE records SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?').run(recordId, owner);
        if (changes === 0 && !stmt('SELECT 1 FROM records WHERE id = ?').get(recordId)) throw recordNotFound(recordId);
      }, 'write');
    },

    async commitArchived(record, entry, file, supersedes) {
      checkCommit(record, entry, file, supersedes, tables);
      return run(() => {
        updateRow(record);
        addHistory(entry);
        if (supersedes) {
          updateRow(supersedes.record);
          addHistory(supersedes.entry);
          const { changes } = stmt('UPDATE archived_files SET is_current = 0, superseded_by = ? WHERE record_id = ? AND is_current = 1').run(
            record.id,
            supersedes.record.id,
          );
          if (changes === 0) {
            throw new IngestError('NOT_FOUND', `record ${supersedes.record.id} has no current archived file to supersede`, {
              context: { recordId: supersedes.record.id },
            });
          }
        }
        writeArchived(file);
        if (supersedes) events.record(supersedes.record, supersedes.entry, file);
        events.record(record, entry, file);
      }, 'write', 'durable', 'commit');
    },

    async getArchived(archiveId) {
      return run(() => {
        const row = stmt(SQL.currentArchived).get(archiveId) as Row | undefined;
        return row && rowToArchived(row, locationsOf(row['record_id'] as string));
      }, 'snapshot');
    },

    async findArchived(query) {
      return run(() => {
        const { sql, params } = archivedQuerySql(withInstrumentName(query, names), tables);
        return (connection().prepare(sql).all(...params) as Row[]).map((row) => rowToArchived(row, locationsOf(row['record_id'] as string)));
      }, 'snapshot');
    },

    async importArchived(record, entry, file) {
      checkImport(record, entry, file, tables);
      return run(() => {
        try {
          stmt(SQL.insertRecord).run(recordToRow(record));
        } catch (error) {
          if (violatesUnique(error, 'records.id')) throw recordIdTaken(record);
          throw error;
        }
        addHistory(entry);
        writeArchived(file);
        events.record(record, entry, file);
      }, 'write');
    },

    async storedInstruments(options = {}) {
      return run(() => readInstruments(connection(), options.allVersions === true), 'snapshot');
    },

    async archivedVersions(archiveId) {
      return run(() => {
        const rows = stmt('SELECT * FROM archived_files WHERE archive_id = ? ORDER BY archived_at, rowid').all(archiveId) as Row[];
        return rows.map((row) => rowToArchived(row, locationsOf(row['record_id'] as string)));
      }, 'snapshot');
    },

    async pruneVersion(record, entry) {
      checkRecord(record, entry);
      return run(() => {
        const row = stmt('SELECT is_current FROM archived_files WHERE record_id = ?').get(record.id) as { is_current: number } | undefined;
        if (!row) throw new IngestError('NOT_FOUND', `record ${record.id} archived no file`, { context: { recordId: record.id } });
        if (row.is_current) throw new IngestError('ILLEGAL_TRANSITION', `record ${record.id} holds the current version; only superseded versions can be pruned`, { context: { recordId: record.id } });
        updateRow(record);
        addHistory(entry);
        stmt('DELETE FROM archived_locations WHERE record_id = ?').run(record.id);
      }, 'write');
    },

    async addLocation(archiveId, location) {
      return run(() => {
        const row = stmt(SQL.currentArchived).get(archiveId) as Row | undefined;
        if (!row) throw archivedNotFound(archiveId);
        upsertLocation(row['record_id'], location);
      }, 'write');
    },

    async setReleaseDate(archiveId, releaseDate) {
      return run(() => {
        if (!stmt(SQL.currentArchived).get(archiveId)) throw archivedNotFound(archiveId);
        stmt('UPDATE archived_files SET release_date = ? WHERE archive_id = ?').run(releaseDate, archiveId);
      }, 'write');
    },

    async markVerified(recordId, uri, verifiedAt) {
      return run(() => stmt('UPDATE archived_locations SET verified_at = ? WHERE record_id = ? AND uri = ?').run(verifiedAt, recordId, uri).changes > 0, 'write');
    },
    // An event is handed out only once it is on disk: an in-flight transition is committed without a flush, and
    // lost to a power cut its sequence number would be reused by another event, which a subscriber whose cursor
    // passed the lost one would skip for good.
    events: async (query) => {
      const page = await run(() => events.read(query), 'snapshot');
      if (settings.synchronous === 'full' && page.events.length > 0) await flusher.durable();
      return page;
    },
    nights: async (query = {}) =>
      run(() => {
        const { sql, params } = nightsSql(withInstrumentName(query, names), 'sqlite');
        return (connection().prepare(sql).all(...params) as Row[]).map(rowToNight);
      }),
    appendEvent: async (event) => run(() => events.append(event), 'write'),
    leaseHolders: async (now) =>
      run(() =>
        (stmt(`SELECT lease_owner AS owner, count(*) AS n, max(lease_until) AS until FROM records WHERE lease_owner IS NOT NULL AND lease_until > ? AND state IN (${ACTIVE}) GROUP BY lease_owner ORDER BY lease_owner`).all(now) as Row[]).map((r) => ({ owner: String(r['owner']), records: Number(r['n']), until: Number(r['until']) })),
      ),
    programGrants: async () =>
      run(() => (stmt('SELECT * FROM program_grants ORDER BY program, site').all() as Row[]).map((r) => ({ program: String(r['program']), site: String(r['site']), grantedBy: String(r['granted_by']), grantedAt: Number(r['granted_at']) }))),
    grantProgram: async (g) =>
      run(() => stmt('INSERT INTO program_grants (program, site, granted_by, granted_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(g.program, g.site, g.grantedBy, g.grantedAt).changes > 0, 'write'),
    revokeProgram: async (program, site) => run(() => stmt('DELETE FROM program_grants WHERE program = ? AND site = ?').run(program, site).changes > 0, 'write'),
    addSubscription: async (subscription) => run(() => events.addSubscription(subscription), 'write'),
    subscriptions: async () => run(() => events.subscriptions()),
    removeSubscription: async (id) => run(() => events.remove(id), 'write'),
    advanceSubscription: async (id, cursor) => run(() => events.advance(id, cursor), 'write'),
  };
}
