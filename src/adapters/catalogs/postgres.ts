/**
 * PostgreSQL catalog (the optional `pg` driver): one catalog and work queue shared by ingestors on several machines.
 * Every write is one transaction, so the commit point (ARCHIVED record, archived file, history) is all or nothing;
 * claims use `SELECT … FOR UPDATE SKIP LOCKED` with leases, so two hosts never hand out the same record at once.
 * A dropped connection fails the call with CATALOG_UNREACHABLE (transient) and the next call reconnects.
 *
 * @module
 */
import type { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { isFinal, STATES, type StateName } from '../../core/lifecycle/states.js';
import type { ArchivedFile, CompleteCatalog, FileLocation, StoredInstrument } from '../../core/ports/catalog.js';
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
import { keywordTables, toSqlValue } from './_columns.js';
import { postgresCatalogOptionsSchema } from './_postgres-options.js';
import { addStoredTables, instrumentNames, newVersions, withInstrumentName } from './_instruments.js';
import { createClient, createPool, fromPgError, violatesUnique, type Client, type Pool } from './_postgres-driver.js';
import { redact } from '../_shared/redact.js';
import { createLeaseKeeper } from './_postgres-leases.js';
import { batchStatsOf, PostgresWriteBatcher } from './_postgres-batch.js';
import { killHooksFromEnv } from './_sqlite-group-commit.js';
import { createWorkListener, NOTIFY_WORK, type WorkListener } from './_postgres-listen.js';
import { runWithRetry, type RunMode } from './_postgres-run.js';
import * as pgEvents from './_postgres-events.js';
import { nightsSql, rowToNight } from './_nights-sql.js';
import { migrate, pgColumn } from './_postgres-schema.js';
import { ACTIVE_STATES_V1 } from './_sqlite-schema.js';
import { HISTORY_COLUMNS, SQL, UPDATABLE } from './_postgres-sql.js';
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

/** The name of the PostgreSQL catalog. */
export const POSTGRES_CATALOG_NAME = 'postgres';

/** Options of {@link createPostgresCatalog}. */
export type PostgresCatalogOptions = z.input<typeof postgresCatalogOptionsSchema>;

type Row = Record<string, unknown>;


const byAge = (a: FileRecord, b: FileRecord): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const valuesOf = (row: Row, columns: readonly string[]): unknown[] => columns.map((c) => row[c]);

/** Creates a PostgreSQL catalog. Capabilities: durable, shared by processes on several machines. */
export function createPostgresCatalog(options: PostgresCatalogOptions = {}): CompleteCatalog {
  const settings = parseOptions(postgresCatalogOptionsSchema, options, 'PostgreSQL catalog');
  const tables = keywordTables(settings.instruments);
  const givenInstruments: readonly unknown[] = options.instruments ?? [];
  let names = new Map<string, string>();
  const context = { catalog: settings.connectionString === undefined ? 'postgres (PG* environment)' : redact(settings.connectionString) };
  let pool: Pool | undefined;
  const heartbeatMs = settings.heartbeatMs ?? Math.max(10, Math.floor(settings.leaseMs / 3));
  if (heartbeatMs >= settings.leaseMs) {
    throw new IngestError('INVALID_OPTIONS', `PostgreSQL catalog: heartbeatMs (${heartbeatMs}) must be below leaseMs (${settings.leaseMs})`, {
      context: { field: 'heartbeatMs' },
    });
  }
  const target = { pool: () => pool, context, retryForMs: settings.retryForMs };

  /** Runs `fn` on one connection (`write`: in a transaction, `snapshot`: read-only repeatable read), riding out connection faults. */
  const run = <T>(fn: (c: Client) => Promise<T>, mode: RunMode = 'single'): Promise<T> => runWithRetry(target, fn, mode);
  /** The same on a pool being opened, without retries (a wrong URL must fail at once). */
  const runOn = <T>(opened: Pool, fn: (c: Client) => Promise<T>, mode: RunMode): Promise<T> => runWithRetry({ pool: () => opened, context, retryForMs: 0 }, fn, mode);
  /** Transitions and ARCHIVED commits asked for together share one transaction, each in its own savepoint. */
  const batcher = new PostgresWriteBatcher(
    (fn) => run(fn, 'write'),
    (error) => fromPgError(error, context),
    Math.max(1, Math.floor(settings.maxConnections / 2)), // the other half of the pool: claims, reads, heartbeats
    killHooksFromEnv(process.env['FITS_INGEST_TEST_KILL']),
  );
  const leases = createLeaseKeeper((fn) => run(fn, 'write'), heartbeatMs);
  const newListener = (): WorkListener => createWorkListener(() => createClient(settings));
  let listener = newListener();
  const hint = async (c: Client): Promise<void> => {
    if (settings.notify) await c.query(NOTIFY_WORK);
  };
  /** A claim's lease: what the caller asked, at most this catalog's leaseMs (the heartbeat renews it). */
  const leaseFor = (leaseMs: number): number => Math.min(leaseMs, settings.leaseMs);

  const rows = async (c: Client, sql: string, params: unknown[] = []): Promise<Row[]> => (await c.query(sql, params)).rows as Row[];

  async function addHistory(c: Client, entry: HistoryEntry | undefined): Promise<void> {
    if (entry) await c.query(SQL.insertHistory, valuesOf(entryToRow(entry), HISTORY_COLUMNS));
  }

  /** Stores `record` where the stored version is one less, or throws CONFLICT / NOT_FOUND. */
  async function updateRow(c: Client, record: FileRecord): Promise<void> {
    let changes: number;
    try {
      const row = recordToRow(record);
      const result = await c.query(SQL.updateRecord, [row['id'], ...valuesOf(row, UPDATABLE), record.version - 1]);
      changes = result.rowCount ?? 0;
    } catch (error) {
      if (violatesUnique(error, 'records_one_active_per_source')) throw activeSourceConflict(record);
      throw error;
    }
    if (changes === 0) {
      const [found] = await rows(c, 'SELECT version FROM records WHERE id = $1', [record.id]);
      throw found ? versionConflict(record, found['version'] as number) : recordNotFound(record.id);
    }
  }

  async function locationsOf(c: Client, recordId: string): Promise<FileLocation[]> {
    return ((await rows(c, SQL.locations, [recordId])) as unknown as (FileLocation & { medium: string | null })[]).map(rowToLocation);
  }

  async function archivedOf(c: Client, found: Row[]): Promise<ArchivedFile[]> {
    const out: ArchivedFile[] = [];
    for (const row of found) out.push(rowToArchived(row, await locationsOf(c, row['record_id'] as string)));
    return out;
  }

  async function upsertLocation(c: Client, recordId: unknown, l: FileLocation): Promise<void> {
    await c.query(SQL.upsertLocation, [recordId, l.uri, l.transport, l.verifiedAt, l.medium ? JSON.stringify(l.medium) : null]);
  }

  async function writeArchived(c: Client, file: ArchivedFile): Promise<void> {
    const [holder] = await rows(c, SQL.currentArchived, [file.archiveId]);
    if (holder) throw archiveIdTaken(file, holder['record_id'] as string);
    try {
      await c.query(SQL.insertArchived, valuesOf(archivedToRow(file), archivedColumnNames));
    } catch (error) {
      // Another host committed the same archive id between our check and our insert.
      if (violatesUnique(error, 'archived_current_archive_id')) throw archiveIdTaken(file, '(another host)');
      throw error;
    }
    for (const parent of file.parents) {
      await c.query('INSERT INTO archived_parents (record_id, parent) VALUES ($1, $2) ON CONFLICT DO NOTHING', [file.recordId, parent]);
    }
    for (const l of file.locations) await upsertLocation(c, file.recordId, l);
    const table = tables.get(file.instrument.toLowerCase());
    if (table) {
      const columns = [...table.columns.keys()];
      const sql = `INSERT INTO "${table.table}" (record_id${columns.map((col) => `, ${pgColumn(col)}`).join('')}) VALUES ($1${columns.map((_, i) => `, $${i + 2}`).join('')})`;
      await c.query(sql, [file.recordId, ...columns.map((col) => toSqlValue(file.columns[col]))]);
    }
  }

  async function readInstruments(c: Client, allVersions: boolean): Promise<StoredInstrument[]> {
    const sql = allVersions
      ? 'SELECT * FROM instrument_descriptions ORDER BY name_key, version'
      : 'SELECT d.* FROM instrument_descriptions d WHERE version = (SELECT max(version) FROM instrument_descriptions e WHERE e.name_key = d.name_key) ORDER BY name_key';
    return (await rows(c, sql)).map((r) => ({
      name: r['name'] as string,
      version: r['version'] as number,
      description: JSON.parse(r['description'] as string) as unknown,
      savedAt: r['saved_at'] as number,
    }));
  }

  /** Stores changed descriptions as new versions (under the migration's advisory lock) and returns the latest of each. */
  async function storeInstruments(c: Client): Promise<StoredInstrument[]> {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['fits-ingest instrument_descriptions']);
    for (const s of newVersions(await readInstruments(c, false), givenInstruments, Date.now())) {
      await c.query('INSERT INTO instrument_descriptions (name_key, version, name, description, saved_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
        s.name.toLowerCase(),
        s.version,
        s.name,
        JSON.stringify(s.description),
        s.savedAt,
      ]);
    }
    return readInstruments(c, false);
  }

  const catalog: CompleteCatalog = {
    name: POSTGRES_CATALOG_NAME,
    capabilities: { durable: true, shared: true },

    async init() {
      if (pool) return;
      const opened = await createPool(settings);
      try {
        await runOn(opened, (c) => migrate(c, tables), 'single');
        const stored = await runOn(opened, storeInstruments, 'write');
        addStoredTables(tables, stored);
        names = instrumentNames(stored);
        pool = opened;
      } catch (error) {
        await opened.end().catch(() => undefined);
        throw fromPgError(error, context);
      }
    },

    async close() {
      await batcher.settle();
      const closing = pool;
      pool = undefined;
      leases.stop();
      const listening = listener;
      listener = newListener(); // a catalog opened again listens again
      await listening.close();
      await closing?.end().catch(() => undefined);
    },

    async insertRecord(record, entry, lease, guard) {
      checkRecord(record, entry);
      // The lease counts from the record's creation on the caller's clock, cut to this catalog's leaseMs.
      const until = lease ? Math.min(lease.until, record.createdAt + settings.leaseMs) : undefined;
      const result = await run(async (c): Promise<{ inserted: boolean; record: FileRecord; leasedTo?: string; archived?: FileRecord }> => {
        if (guard) await c.query(SQL.lockSource, [record.source]);
        // Read after the lock (READ COMMITTED: each statement sees every commit before it): a record another host
        // archived since the caller looked is either still active here or ARCHIVED below, never missed.
        const [active] = await rows(c, SQL.activeBySource, [record.source]);
        if (active) {
          if (!lease) return { inserted: false, record: rowToRecord(active) };
          // Take the existing record's lease if it is free (or already ours); else say who holds it.
          const took = await c.query(SQL.takeLease, [lease.owner, until, active['id'], record.createdAt]);
          const holder = active['lease_owner'] as string | null;
          return took.rowCount ? { inserted: false, record: rowToRecord(active) } : { inserted: false, record: rowToRecord(active), ...(holder ? { leasedTo: holder } : {}) };
        }
        if (guard) {
          const [newest] = await rows(c, SQL.newestArchived, [record.source]);
          if (newest && newest['id'] !== guard.lastArchived) return { inserted: false, record: rowToRecord(newest), archived: rowToRecord(newest) };
        }
        let added: Row[];
        try {
          added = await rows(c, SQL.insertRecord, valuesOf(recordToRow(record), recordColumnNames));
        } catch (error) {
          if (violatesUnique(error, 'records_pkey')) throw recordIdTaken(record);
          throw error;
        }
        if (added.length === 0) {
          // Another host inserted an active record for this source since our SELECT: that one wins.
          const [winner] = await rows(c, SQL.activeBySource, [record.source]);
          if (winner) return { inserted: false, record: rowToRecord(winner) };
          throw new IngestError('CONFLICT', `the active record of ${record.source} changed while inserting`, { context: { file: record.source } });
        }
        if (lease) await c.query(SQL.lease, [lease.owner, until, record.id]);
        else await hint(c);
        await addHistory(c, entry);
        return { inserted: true, record: rowToRecord(recordToRow(record)) };
      }, 'write');
      if (lease && until !== undefined && !result.leasedTo && !result.archived) leases.hold(lease.owner, [result.record.id], record.createdAt, until - record.createdAt);
      return result;
    },

    async getRecord(id) {
      return run(async (c) => {
        const [row] = await rows(c, 'SELECT * FROM records WHERE id = $1', [id]);
        return row && rowToRecord(row);
      });
    },

    async updateRecord(record, entry) {
      checkRecord(record, entry);
      await batcher.write(async (c) => {
        await updateRow(c, record);
        await addHistory(c, entry);
        await pgEvents.appendEvents(c, pgEvents.eventsOf([record, entry]));
        // A requeued record is work for anyone.
        if (record.state === 'DETECTED') await hint(c);
      });
      if (isFinal(record.state)) leases.drop(record.id);
    },

    async findRecords(query) {
      return run(async (c) => {
        const { sql, params } = recordQuerySql(query, 'postgres');
        return (await rows(c, sql, params)).map(rowToRecord);
      });
    },

    async history(recordId) {
      return run(async (c) => (await rows(c, 'SELECT * FROM history WHERE record_id = $1 ORDER BY seq', [recordId])).map(rowToEntry));
    },

    async counts() {
      return run(async (c) => {
        const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<StateName, number>;
        for (const r of await rows(c, 'SELECT state, count(*) AS n FROM records GROUP BY state')) counts[r['state'] as StateName] = r['n'] as number;
        return counts;
      });
    },

    async claim(options) {
      checkClaim(options);
      const { owner, now, limit } = options;
      const leaseMs = leaseFor(options.leaseMs);
      const claimed = await run(async (c) => (await rows(c, SQL.claim, [owner, now + leaseMs, now, limit])).map(rowToRecord).sort(byAge), 'write');
      leases.hold(owner, claimed.map((r) => r.id), now, leaseMs);
      return claimed;
    },

    async release(recordId, owner) {
      leases.drop(recordId);
      return run(async (c) => {
        const { rowCount } = await c.query('UPDATE records SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2', [recordId, owner]);
        if (!rowCount && (await rows(c, 'SELECT 1 FROM records WHERE id = $1', [recordId])).length === 0) throw recordNotFound(recordId);
        if (rowCount) await hint(c);
      }, 'write');
    },

    async commitArchived(record, entry, file, supersedes) {
      checkCommit(record, entry, file, supersedes, tables);
      // One savepoint of a batched transaction: this commit is all or nothing, whatever the others of its batch do.
      await batcher.write(async (c) => {
        await updateRow(c, record);
        await addHistory(c, entry);
        if (supersedes) {
          await updateRow(c, supersedes.record);
          await addHistory(c, supersedes.entry);
          const { rowCount } = await c.query('UPDATE archived_files SET is_current = 0, superseded_by = $1 WHERE record_id = $2 AND is_current = 1', [
            record.id,
            supersedes.record.id,
          ]);
          if (!rowCount) {
            throw new IngestError('NOT_FOUND', `record ${supersedes.record.id} has no current archived file to supersede`, {
              context: { recordId: supersedes.record.id },
            });
          }
        }
        await writeArchived(c, file);
        await pgEvents.appendEvents(c, pgEvents.eventsOf(...(supersedes ? [[supersedes.record, supersedes.entry, file] as const] : []), [record, entry, file]));
      }, 'commit');
      leases.drop(record.id);
    },

    onWorkHint(wake) {
      return settings.notify ? listener.add(wake) : () => undefined;
    },

    async getArchived(archiveId) {
      return run(async (c) => (await archivedOf(c, await rows(c, SQL.currentArchived, [archiveId])))[0], 'snapshot');
    },

    async findArchived(query) {
      return run(async (c) => {
        const { sql, params } = archivedQuerySql(withInstrumentName(query, names), tables, 'postgres');
        return archivedOf(c, await rows(c, sql, params));
      }, 'snapshot');
    },

    async importArchived(record, entry, file) {
      checkImport(record, entry, file, tables);
      return run(async (c) => {
        try {
          await c.query(SQL.importRecord, valuesOf(recordToRow(record), recordColumnNames));
        } catch (error) {
          if (violatesUnique(error, 'records_pkey')) throw recordIdTaken(record);
          throw error;
        }
        await addHistory(c, entry);
        await writeArchived(c, file);
        await pgEvents.appendEvents(c, pgEvents.eventsOf([record, entry, file]));
      }, 'write');
    },

    async storedInstruments(options = {}) {
      return run((c) => readInstruments(c, options.allVersions === true), 'snapshot');
    },

    async archivedVersions(archiveId) {
      return run(async (c) => archivedOf(c, await rows(c, 'SELECT * FROM archived_files WHERE archive_id = $1 ORDER BY archived_at, seq', [archiveId])), 'snapshot');
    },

    async pruneVersion(record, entry) {
      checkRecord(record, entry);
      return run(async (c) => {
        const [row] = await rows(c, 'SELECT is_current FROM archived_files WHERE record_id = $1', [record.id]);
        if (!row) throw new IngestError('NOT_FOUND', `record ${record.id} archived no file`, { context: { recordId: record.id } });
        if (row['is_current']) {
          throw new IngestError('ILLEGAL_TRANSITION', `record ${record.id} holds the current version; only superseded versions can be pruned`, { context: { recordId: record.id } });
        }
        await updateRow(c, record);
        await addHistory(c, entry);
        await c.query('DELETE FROM archived_locations WHERE record_id = $1', [record.id]);
      }, 'write');
    },

    async addLocation(archiveId, location) {
      return run(async (c) => {
        const [row] = await rows(c, SQL.currentArchived, [archiveId]);
        if (!row) throw archivedNotFound(archiveId);
        await upsertLocation(c, row['record_id'], location);
      }, 'write');
    },

    async setReleaseDate(archiveId, releaseDate) {
      return run(async (c) => {
        if ((await rows(c, SQL.currentArchived, [archiveId])).length === 0) throw archivedNotFound(archiveId);
        await c.query('UPDATE archived_files SET release_date = $1 WHERE archive_id = $2', [releaseDate, archiveId]);
      }, 'write');
    },

    async markVerified(recordId, uri, verifiedAt) {
      return run(async (c) => ((await c.query('UPDATE archived_locations SET verified_at = $1 WHERE record_id = $2 AND uri = $3', [verifiedAt, recordId, uri])).rowCount ?? 0) > 0, 'write');
    },
    events: (query) => run((c) => pgEvents.readEvents(c, query), 'snapshot'),
    nights: (query = {}) =>
      run(async (c) => {
        const { sql, params } = nightsSql(withInstrumentName(query, names), 'postgres');
        return (await rows(c, sql, params)).map(rowToNight);
      }),
    appendEvent: async (event) => (await run((c) => pgEvents.appendEvents(c, [event]), 'write'))[0]!,
    leaseHolders: (now) =>
      run(async (c) =>
        (await rows(c, `SELECT lease_owner AS owner, count(*) AS n, max(lease_until) AS until FROM records WHERE lease_owner IS NOT NULL AND lease_until > $1 AND state IN (${ACTIVE_STATES_V1.map((s) => `'${s}'`).join(', ')}) GROUP BY lease_owner ORDER BY lease_owner`, [now])).map((r) => ({ owner: String(r['owner']), records: Number(r['n']), until: Number(r['until']) })),
      ),
    programGrants: () =>
      run(async (c) => (await rows(c, 'SELECT * FROM program_grants ORDER BY program, site', [])).map((r) => ({ program: String(r['program']), site: String(r['site']), grantedBy: String(r['granted_by']), grantedAt: Number(r['granted_at']) }))),
    grantProgram: (g) =>
      run(async (c) => ((await c.query('INSERT INTO program_grants (program, site, granted_by, granted_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [g.program, g.site, g.grantedBy, g.grantedAt])).rowCount ?? 0) > 0, 'write'),
    revokeProgram: (program, site) => run(async (c) => ((await c.query('DELETE FROM program_grants WHERE program = $1 AND site = $2', [program, site])).rowCount ?? 0) > 0, 'write'),
    addSubscription: (subscription) => run((c) => pgEvents.addSubscription(c, subscription), 'write'),
    subscriptions: () => run((c) => pgEvents.listSubscriptions(c)),
    removeSubscription: (id) => run((c) => pgEvents.removeSubscription(c, id), 'write'),
    advanceSubscription: (id, cursor) => run((c) => pgEvents.advanceSubscription(c, id, cursor), 'write'),
  };
  batchStatsOf.set(catalog, batcher.stats);
  return catalog;
}
