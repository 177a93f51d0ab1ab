/**
 * SQLite ProcessingStore (better-sqlite3). Its tables are all named `processing_*` and it keeps its own migration
 * table, `processing_migrations`, so it can share the catalog's SQLite file without touching the catalog's schema.
 * WAL mode; every change is one transaction, so requests survive a crash or restart.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { ValidityRange } from '../../core/processing/calibration-set.js';
import type { ProcessingRequest } from '../../core/processing/request.js';
import type { BatchThrottle, DeliveryRecord, ProcessingStore, ProductProvenance } from '../../core/ports/processing-store.js';
import { fromSqliteError, openDatabase, violatesUnique, type Db } from '../_shared/sqlite-driver.js';
import { parseOptions } from '../_shared/options.js';
import { rangeOrder } from './_shared.js';
import { RULE_FRAMES_MIGRATION, sqliteRuleFrames } from './_sqlite-frames.js';

/** Name of the SQLite processing store. */
export const SQLITE_PROCESSING_STORE_NAME = 'sqlite';

const optionsSchema = z.object({
  /** Path of the SQLite file (may be the catalog's own file). */
  path: z.string().min(1),
  /** How long to wait for a lock held by another connection. @default 5000 */
  busyTimeoutMs: z.number().int().positive().default(5000),
});

/** Options of {@link createSqliteProcessingStore}. */
export type SqliteProcessingStoreOptions = z.input<typeof optionsSchema>;

/** Migrations of the store's own tables, numbered from 1 in `processing_migrations`. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE processing_sets (id TEXT PRIMARY KEY, instrument TEXT NOT NULL, kind TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
   CREATE TABLE processing_ranges (instrument TEXT NOT NULL, kind TEXT NOT NULL, from_ms INTEGER NOT NULL, body TEXT NOT NULL);
   CREATE INDEX processing_ranges_kind ON processing_ranges (instrument, kind);
   CREATE TABLE processing_requests (id TEXT PRIMARY KEY, state TEXT NOT NULL, requester TEXT NOT NULL, batch TEXT, created_at INTEGER NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
   CREATE INDEX processing_requests_state ON processing_requests (state, created_at);
   CREATE TABLE processing_cache (key TEXT PRIMARY KEY, body TEXT NOT NULL);
   CREATE TABLE processing_products (seq INTEGER PRIMARY KEY AUTOINCREMENT, archive_id TEXT NOT NULL, set_id TEXT NOT NULL, superseded_by TEXT, body TEXT NOT NULL);
   CREATE INDEX processing_products_set ON processing_products (set_id, superseded_by);
   CREATE INDEX processing_products_id ON processing_products (archive_id);`,
  // 2 (issue 14): queue order in SQL, throttled batches, schedulers sharing the store, deliveries, settings.
  `ALTER TABLE processing_requests ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
   UPDATE processing_requests SET priority = COALESCE(json_extract(body, '$.priority'), 0);
   CREATE INDEX processing_requests_queue ON processing_requests (state, priority DESC, created_at, id);
   CREATE TABLE processing_throttles (batch TEXT PRIMARY KEY, key TEXT NOT NULL, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);
   CREATE INDEX processing_throttles_key ON processing_throttles (key, created_at);
   CREATE TABLE processing_schedulers (id TEXT PRIMARY KEY, body TEXT NOT NULL);
   CREATE TABLE processing_deliveries (key TEXT PRIMARY KEY, body TEXT NOT NULL);
   CREATE TABLE processing_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  RULE_FRAMES_MIGRATION,
];

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS processing_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const at = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM processing_migrations').get() as { v: number }).v;
  db.transaction(() => {
    for (let v = at + 1; v <= MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v - 1]!);
      db.prepare('INSERT INTO processing_migrations (version, applied_at) VALUES (?, ?)').run(v, Date.now());
    }
  }).immediate();
}

type Row = { body: string };

function insertRow(d: Db, request: ProcessingRequest): void {
  try {
    d.prepare('INSERT INTO processing_requests (id, state, requester, batch, created_at, version, priority, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(request.id, request.state, request.requester, request.batch ?? null, request.createdAt, request.version, request.priority, JSON.stringify(request));
  } catch (error) {
    if (violatesUnique(error, 'processing_requests.id')) throw new IngestError('CONFLICT', `request ${request.id} exists already`);
    throw error;
  }
}
const parse = <T>(row: Row): T => JSON.parse(row.body) as T;
type ThrottleRow = Row & { next_at: number };
const throttleOf = (row: ThrottleRow | undefined): BatchThrottle | undefined => row && { ...parse<BatchThrottle>(row), nextAt: row.next_at };

/** Creates a SQLite processing store (opened by `init`). */
export function createSqliteProcessingStore(input: SqliteProcessingStoreOptions): ProcessingStore {
  const options = parseOptions(optionsSchema, input, 'the SQLite processing store');
  let db: Db | undefined;
  const open = (): Db => {
    if (!db) throw new IngestError('INVALID_OPTIONS', 'the processing store is not open; call init() first');
    return db;
  };
  const run = <T>(fn: (db: Db) => T): T => {
    try {
      return fn(open());
    } catch (error) {
      throw fromSqliteError(error, { file: options.path });
    }
  };
  const all = <T>(sql: string, ...params: unknown[]): T[] => run((d) => (d.prepare(sql).all(...params) as Row[]).map((r) => parse<T>(r)));
  const one = <T>(sql: string, ...params: unknown[]): T | undefined => run((d) => {
    const row = d.prepare(sql).get(...params) as Row | undefined;
    return row && parse<T>(row);
  });

  return {
    name: SQLITE_PROCESSING_STORE_NAME,
    async init() {
      if (db) return;
      const opened = await openDatabase({ path: options.path, busyTimeoutMs: options.busyTimeoutMs });
      try {
        opened.pragma('journal_mode = WAL');
        migrate(opened);
      } catch (error) {
        opened.close();
        throw fromSqliteError(error, { file: options.path });
      }
      db = opened;
    },
    async close() {
      db?.close();
      db = undefined;
    },

    async addSet(set) {
      run((d) => {
        try {
          d.prepare('INSERT INTO processing_sets (id, instrument, kind, version, body) VALUES (?, ?, ?, ?, ?)').run(set.id, set.instrument, set.kind, set.version, JSON.stringify(set));
        } catch (error) {
          if (violatesUnique(error, 'processing_sets.id')) throw new IngestError('CONFLICT', `calibration set ${set.id} exists already`, { hint: 'sets are immutable: certify a new version' });
          throw error;
        }
      });
    },
    getSet: async (id) => one('SELECT body FROM processing_sets WHERE id = ?', id),
    async listSets(filter = {}) {
      const sets = all<import('../../core/processing/calibration-set.js').CalibrationSet>('SELECT body FROM processing_sets ORDER BY instrument, kind, version');
      return sets.filter((s) => (filter.instrument === undefined || s.instrument === filter.instrument) && (filter.kind === undefined || s.kind === filter.kind));
    },
    async listRanges(filter = {}) {
      const ranges = all<ValidityRange>('SELECT body FROM processing_ranges');
      return ranges.filter((r) => filter.instrument === undefined || r.instrument === filter.instrument).sort(rangeOrder);
    },
    async replaceRanges(instrument, kind, ranges) {
      run((d) => d.transaction(() => {
        d.prepare('DELETE FROM processing_ranges WHERE instrument = ? AND kind = ?').run(instrument, kind);
        const insert = d.prepare('INSERT INTO processing_ranges (instrument, kind, from_ms, body) VALUES (?, ?, ?, ?)');
        for (const r of ranges) insert.run(instrument, kind, r.from, JSON.stringify(r));
      }).immediate());
    },

    async insertRequest(request) {
      run((d) => insertRow(d, request));
    },
    getRequest: async (id) => one('SELECT body FROM processing_requests WHERE id = ?', id),
    async updateRequest(request) {
      run((d) => {
        const changed = d.prepare('UPDATE processing_requests SET state = ?, version = ?, body = ? WHERE id = ? AND version = ?')
          .run(request.state, request.version, JSON.stringify(request), request.id, request.version - 1).changes;
        if (changed === 1) return;
        const exists = d.prepare('SELECT 1 FROM processing_requests WHERE id = ?').get(request.id);
        if (!exists) throw new IngestError('REQUEST_NOT_FOUND', `no request ${request.id}`);
        throw new IngestError('CONFLICT', `request ${request.id} changed meanwhile`);
      });
    },
    async findRequests(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.states) {
        where.push(`state IN (${filter.states.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...filter.states);
      }
      if (filter.requester !== undefined) where.push('requester = ?') && params.push(filter.requester);
      if (filter.batch !== undefined) where.push('batch = ?') && params.push(filter.batch);
      const sql = `SELECT body FROM processing_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT ?`;
      return all<ProcessingRequest>(sql, ...params, filter.limit ?? 1000);
    },

    getCached: async (key) => one('SELECT body FROM processing_cache WHERE key = ?', key),
    async putCached(result) {
      run((d) => d.prepare('INSERT OR REPLACE INTO processing_cache (key, body) VALUES (?, ?)').run(result.key, JSON.stringify(result)));
    },

    async addProduct(product) {
      run((d) => d.transaction(() => {
        const older = d.prepare('SELECT seq, body FROM processing_products WHERE archive_id = ? AND superseded_by IS NULL').all(product.archiveId) as (Row & { seq: number })[];
        const mark = d.prepare('UPDATE processing_products SET superseded_by = ?, body = ? WHERE seq = ?');
        for (const row of older) mark.run(product.requestId, JSON.stringify({ ...parse<ProductProvenance>(row), supersededBy: product.requestId }), row.seq);
        d.prepare('INSERT INTO processing_products (archive_id, set_id, body) VALUES (?, ?, ?)').run(product.archiveId, product.calibrationSetId, JSON.stringify(product));
      }).immediate());
    },
    async productsBuiltWith(ids) {
      if (ids.length === 0) return [];
      return all<ProductProvenance>(`SELECT body FROM processing_products WHERE superseded_by IS NULL AND set_id IN (${ids.map(() => '?').join(', ')}) ORDER BY seq`, ...ids);
    },
    productHistory: async (archiveId) => all('SELECT body FROM processing_products WHERE archive_id = ? ORDER BY seq', archiveId),

    nextQueued: async (limit) => all("SELECT body FROM processing_requests WHERE state = 'QUEUED' ORDER BY priority DESC, created_at, id LIMIT ?", limit),
    async insertRequests(requests, throttle) {
      run((d) => d.transaction(() => {
        for (const r of requests) insertRow(d, r);
        if (throttle) d.prepare('INSERT INTO processing_throttles (batch, key, next_at, created_at, body) VALUES (?, ?, ?, ?, ?)').run(throttle.batch, throttle.key, throttle.nextAt, throttle.createdAt, JSON.stringify(throttle));
      }).immediate());
    },
    getThrottle: async (batch) => throttleOf(run((d) => d.prepare('SELECT next_at, body FROM processing_throttles WHERE batch = ?').get(batch)) as ThrottleRow | undefined),
    findThrottles: async (key) => (run((d) => d.prepare('SELECT next_at, body FROM processing_throttles WHERE key = ? ORDER BY created_at DESC').all(key)) as ThrottleRow[]).map((r) => throttleOf(r)!),
    async takeBatchSlot(batch, now) {
      return run((d) => d.transaction(() => {
        const row = d.prepare('SELECT next_at, body FROM processing_throttles WHERE batch = ?').get(batch) as ThrottleRow | undefined;
        if (!row) return true;
        if (row.next_at > now) return false;
        d.prepare('UPDATE processing_throttles SET next_at = ? WHERE batch = ?').run(now + throttleOf(row)!.intervalMs, batch);
        return true;
      }).immediate());
    },

    async putScheduler(lease) {
      run((d) => d.prepare('INSERT OR REPLACE INTO processing_schedulers (id, body) VALUES (?, ?)').run(lease.id, JSON.stringify(lease)));
    },
    listSchedulers: async () => all('SELECT body FROM processing_schedulers ORDER BY id'),
    async removeScheduler(id) {
      run((d) => d.prepare('DELETE FROM processing_schedulers WHERE id = ?').run(id));
    },

    async claimDelivery(key, at, to) {
      const record: DeliveryRecord = { key, claimedAt: at, to: [...to] };
      return run((d) => d.prepare('INSERT OR IGNORE INTO processing_deliveries (key, body) VALUES (?, ?)').run(key, JSON.stringify(record)).changes === 1);
    },
    async finishDelivery(key, outcome) {
      run((d) => d.transaction(() => {
        const row = d.prepare('SELECT body FROM processing_deliveries WHERE key = ?').get(key) as Row | undefined;
        if (row) d.prepare('UPDATE processing_deliveries SET body = ? WHERE key = ?').run(JSON.stringify({ ...parse<DeliveryRecord>(row), ...outcome }), key);
      }).immediate());
    },
    getDelivery: async (key) => one('SELECT body FROM processing_deliveries WHERE key = ?', key),

    async getSetting(key) {
      const row = run((d) => d.prepare('SELECT value FROM processing_settings WHERE key = ?').get(key)) as { value: string } | undefined;
      return row ? JSON.parse(row.value) : undefined;
    },
    async setSetting(key, value) {
      run((d) => d.prepare('INSERT OR REPLACE INTO processing_settings (key, value) VALUES (?, ?)').run(key, JSON.stringify(value ?? null)));
    },
    ...sqliteRuleFrames(run),
  };
}
