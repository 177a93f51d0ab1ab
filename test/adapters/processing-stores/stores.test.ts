
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createMemoryProcessingStore } from '../../../src/adapters/processing-stores/memory.js';
import { createSqliteProcessingStore } from '../../../src/adapters/processing-stores/sqlite.js';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { createRequest } from '../../../src/core/processing/request.js';
import { processingStoreConformance } from './_conformance.js';
import { builtinInstruments } from '../../../src/instruments/builtin/index.js';

describe('memory processing store', () => {
  processingStoreConformance(async () => {
    const store = createMemoryProcessingStore();
    await store.init();
    return store;
  });
});

describe('SQLite processing store', () => {
  processingStoreConformance(async () => {
    const store = createSqliteProcessingStore({ path: join(mkdtempSync(join(tmpdir(), 'proc-store-')), 'p.sqlite') });
    await store.init();
    return store;
  });

  it('shares the catalog file without touching its migrations, and requests survive a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'proc-store-')), 'catalog.sqlite');
    const catalog = createSqliteCatalog({ path, instruments: [...builtinInstruments()] });
    await catalog.init();
    const raw = new Database(path, { readonly: true });
    const catalogMigrations = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    raw.close();
    let store = createSqliteProcessingStore({ path });
    await store.init();
    await store.insertRequest(createRequest({ id: 'r1', requester: 'ana', priority: 3, instrument: 'KCWI', kind: 'imaging', inputs: [{ archiveId: 'KB.1', sha256: 'a'.repeat(64), observedAt: 7 }], calibration: 'latest', processor: { name: 'p', version: '1' } }, 11));
    await store.close();
    await catalog.close();
    // a new process: both open the same file again; the store's migration is not rerun, the request is there
    const again = createSqliteCatalog({ path, instruments: [...builtinInstruments()] });
    await again.init();
    store = createSqliteProcessingStore({ path });
    await store.init();
    expect(await store.getRequest('r1')).toMatchObject({ state: 'QUEUED', priority: 3, inputs: [{ archiveId: 'KB.1' }], history: [{ to: 'QUEUED', at: 11 }] });
    const check = new Database(path, { readonly: true });
    const tables = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables.filter((t) => !t.startsWith('processing_') && t !== 'sqlite_sequence')).toEqual((catalogMigrations as { name: string }[]).map((t) => t.name).filter((t) => t !== 'sqlite_sequence'));
    expect((check.prepare('SELECT version FROM processing_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)).toEqual([1, 2, 3]);
    check.close();
    await store.close();
    await again.close();
  });

  it('migration 2 upgrades a version-1 store: queued requests keep their priority order', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'proc-store-')), 'p.sqlite');
    const v1 = new Database(path);
    v1.exec('CREATE TABLE processing_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    v1.exec(`CREATE TABLE processing_requests (id TEXT PRIMARY KEY, state TEXT NOT NULL, requester TEXT NOT NULL, batch TEXT, created_at INTEGER NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX processing_requests_state ON processing_requests (state, created_at);`);
    // the rest of schema 1
    v1.exec(`CREATE TABLE processing_sets (id TEXT PRIMARY KEY, instrument TEXT NOT NULL, kind TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE processing_ranges (instrument TEXT NOT NULL, kind TEXT NOT NULL, from_ms INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE processing_cache (key TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE processing_products (seq INTEGER PRIMARY KEY AUTOINCREMENT, archive_id TEXT NOT NULL, set_id TEXT NOT NULL, superseded_by TEXT, body TEXT NOT NULL);`);
    v1.prepare('INSERT INTO processing_migrations VALUES (1, 0)').run();
    for (const [id, priority, at] of [['old-low', 0, 1], ['new-high', 9, 2]] as const) {
      const r = createRequest({ id, requester: 'a', priority, instrument: 'KCWI', kind: 'imaging', inputs: [], calibration: 'latest', processor: { name: 'p', version: '1' } }, at);
      v1.prepare('INSERT INTO processing_requests VALUES (?, ?, ?, NULL, ?, 1, ?)').run(id, 'QUEUED', 'a', at, JSON.stringify(r));
    }
    v1.close();
    const store = createSqliteProcessingStore({ path });
    await store.init();
    expect((await store.nextQueued(5)).map((r) => r.id)).toEqual(['new-high', 'old-low']);
    await store.close();
  });
});
