
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
    expect(check.prepare('SELECT version FROM processing_migrations').all()).toEqual([1, 2, 3].map((version) => ({ version })));
    check.close();
    await store.close();
    await again.close();
  });
});
