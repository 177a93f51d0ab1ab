import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as vitest from 'vitest';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { isIngestError, type IngestError } from '../../../src/core/errors.js';
import { inserted } from '../../../src/testing/_catalog-fixtures.js';
import { catalogConformance } from '../../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-ingest-sqlite-conformance-'));
vitest.afterAll(() => rmSync(dir, { recursive: true, force: true }));

catalogConformance(vitest, ({ key, instruments }) => createSqliteCatalog({ path: join(dir, `${key}.db`), instruments }), {
  title: 'SQLite catalog conformance',
});

const { describe, expect, it } = vitest;

describe('SQLite catalog options and errors', () => {
  const failure = async (fn: () => unknown): Promise<unknown> => {
    try {
      await fn();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('rejects bad options with INVALID_OPTIONS naming the field', async () => {
    for (const [options, field] of [
      [{ path: ':memory:' }, 'path'],
      [{ path: '' }, 'path'],
      [{ path: join(dir, 'x.db'), busyTimeoutMs: -1 }, 'busyTimeoutMs'],
      [{ path: join(dir, 'x.db'), synchronous: 'off' }, 'synchronous'],
      [{ path: join(dir, 'x.db'), colour: 'blue' }, ''],
      [{ path: join(dir, 'x.db'), instruments: [{ name: 'A', keywordTable: [{ column: 'record_id', type: 'string' }] }] }, 'instruments'],
      [{ path: join(dir, 'x.db'), instruments: [{ name: 'A', keywordTable: [{ column: 'x; DROP', type: 'string' }] }] }, 'instruments'],
      [{ path: join(dir, 'x.db'), instruments: [{ name: 'a-b', keywordTable: [] }, { name: 'A_B', keywordTable: [] }] }, 'instruments'],
    ] as const) {
      const error = await failure(() => createSqliteCatalog(options as never));
      expect(isIngestError(error, 'INVALID_OPTIONS'), JSON.stringify(options)).toBe(true);
      expect(String((error as IngestError).context.field)).toContain(field);
    }
  });

  it('a missing directory is INVALID_OPTIONS on path', async () => {
    const error = await failure(() => createSqliteCatalog({ path: join(dir, 'no', 'such', 'dir', 'c.db') }).init());
    expect(isIngestError(error, 'INVALID_OPTIONS') && error.context.field).toBe('path');
  });

  it('a native addon that does not load is DEPENDENCY_MISSING telling to rebuild better-sqlite3', async () => {
    const fake = join(dir, 'better_sqlite3.node');
    writeFileSync(fake, 'not a shared object');
    for (const nativeBinding of [fake, join(dir, 'missing', 'better_sqlite3.node')]) {
      const error = await failure(() => createSqliteCatalog({ path: join(dir, 'addon.db'), nativeBinding }).init());
      expect(isIngestError(error, 'DEPENDENCY_MISSING')).toBe(true);
      expect((error as IngestError).message).toContain('npm rebuild better-sqlite3');
    }
  });

  it('a lock held by another connection is CATALOG_BUSY (transient) after busyTimeoutMs', async () => {
    const path = join(dir, 'busy.db');
    const catalog = createSqliteCatalog({ path, busyTimeoutMs: 50 });
    await catalog.init();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const error = await failure(() => inserted(catalog, 1));
    expect(isIngestError(error, 'CATALOG_BUSY') && error.kind).toBe('transient');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(await catalog.getRecord('rec-1')).toBeUndefined();
    other.exec('ROLLBACK');
    await inserted(catalog, 1);
    other.close();
    await catalog.close();
  });

  it('init is init-once: concurrent calls open one connection, a failed init is retried, close resets it', async () => {
    const path = join(dir, 'once.db');
    const catalog = createSqliteCatalog({ path });
    await Promise.all([catalog.init(), catalog.init(), catalog.init()]);
    await inserted(catalog, 1);
    await catalog.close();
    // The last connection to close checkpoints and deletes the WAL: a second, leaked connection would keep it.
    expect(existsSync(`${path}-wal`)).toBe(false);
    await catalog.init(); // reopened after close
    expect((await catalog.getRecord('rec-1'))?.id).toBe('rec-1');
    await catalog.close();

    const later = join(dir, 'later');
    const retried = createSqliteCatalog({ path: join(later, 'c.db') });
    expect(isIngestError(await failure(() => retried.init()), 'INVALID_OPTIONS')).toBe(true);
    mkdirSync(later);
    await retried.init();
    await inserted(retried, 2);
    await retried.close();
  });

  it('a FAILED record without nextAttemptAt counts as due', async () => {
    const catalog = createSqliteCatalog({ path: join(dir, 'due.db') });
    await catalog.init();
    const record = { ...(await inserted(catalog, 1)) };
    const failed = { ...record, state: 'FAILED' as const, attempts: 1, version: 2 };
    await catalog.updateRecord(failed);
    expect((await catalog.claim({ owner: 'a', now: 0, leaseMs: 10, limit: 5 })).map((r) => r.id)).toEqual(['rec-1']);
    await catalog.close();
  });
});
