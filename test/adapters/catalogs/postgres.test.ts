import * as vitest from 'vitest';
import { createPostgresCatalog } from '../../../src/adapters/catalogs/postgres.js';
import { PG_MIGRATIONS } from '../../../src/adapters/catalogs/_postgres-schema.js';
import { isIngestError, type IngestError } from '../../../src/core/errors.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { CONFORMANCE_INSTRUMENTS, inserted, newRecord } from '../../../src/testing/_catalog-fixtures.js';
import { catalogConformance } from '../../../src/testing/index.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

const { afterAll, beforeAll, describe, expect, it } = vitest;

let server: TestPostgres | undefined;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => server?.stop());

const databases = new Map<string, Promise<string>>();
/** The URL of a fresh database per key (created once, on first use). */
function databaseUrl(key: string): Promise<string> {
  if (!server) throw new Error('the PostgreSQL test cluster did not start (see the error of beforeAll)');
  const name = key.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  let url = databases.get(name);
  if (!url) databases.set(name, (url = server.createDatabase(name)));
  return url;
}

catalogConformance(vitest, async ({ key, instruments }) => createPostgresCatalog({ connectionString: await databaseUrl(key), instruments }), {
  title: 'PostgreSQL catalog conformance',
});

const failure = async (fn: () => unknown): Promise<IngestError> => {
  try {
    await fn();
  } catch (error) {
    return error as IngestError;
  }
  throw new Error('expected a rejection');
};

describe('PostgreSQL catalog: several hosts, lost connections', () => {
  it('two catalogs (two pools, as on two hosts) claiming at once never hand out the same record', async () => {
    const url = await databaseUrl('two-hosts');
    const [a, b] = [createPostgresCatalog({ connectionString: url }), createPostgresCatalog({ connectionString: url })];
    await Promise.all([a.init(), b.init()]);
    for (let n = 1; n <= 60; n++) await inserted(a, n);
    const taken = new Map<string, string>();
    const worker = async (catalog: Catalog, owner: string): Promise<void> => {
      for (let round = 0; round < 40; round++) {
        // A new owner name per claim: an owner may reclaim its own records, another never while the lease runs.
        const claimer = `${owner}-${round}`;
        const got = await catalog.claim({ owner: claimer, now: 1_000, leaseMs: 60_000, limit: 3 });
        for (const record of got) {
          expect(taken.get(record.id), `${record.id} claimed by ${claimer} and ${taken.get(record.id)}`).toBeUndefined();
          taken.set(record.id, claimer);
        }
        if (got.length === 0 && taken.size === 60) return;
      }
    };
    await Promise.all([worker(a, 'host-a'), worker(b, 'host-b'), worker(a, 'host-a2'), worker(b, 'host-b2')]);
    expect(taken.size).toBe(60);
    expect(new Set([...taken.values()].map((o) => o.split('-')[1])).size).toBeGreaterThan(1);
    await Promise.all([a.close(), b.close()]);
  });

  it('two hosts inserting the same sources at once leave one active record per source, and both see it', async () => {
    const url = await databaseUrl('same-sources');
    const [a, b] = [createPostgresCatalog({ connectionString: url }), createPostgresCatalog({ connectionString: url })];
    await Promise.all([a.init(), b.init()]);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => i + 1).flatMap((n) =>
        [a, b].map(async (catalog, host) => {
          const { record, entry } = newRecord(100 * (host + 1) + n, `/data/raw/shared-${n}.fits`);
          return { n, ...(await catalog.insertRecord(record, entry)) };
        }),
      ),
    );
    for (let n = 1; n <= 20; n++) {
      const both = results.filter((r) => r.n === n);
      expect(both.filter((r) => r.inserted)).toHaveLength(1);
      expect(new Set(both.map((r) => r.record.id)).size, `source ${n}`).toBe(1);
    }
    expect((await a.counts()).DETECTED).toBe(20);
    await Promise.all([a.close(), b.close()]);
  });

  it('hosts opening a new database together migrate it once', async () => {
    const url = await databaseUrl('migrate-once');
    const catalogs = Array.from({ length: 4 }, () => createPostgresCatalog({ connectionString: url, instruments: CONFORMANCE_INSTRUMENTS }));
    await Promise.all(catalogs.map((c) => c.init()));
    const { rows } = await server!.query('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version', [], 'migrate_once');
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
    const stored = await catalogs[0]!.storedInstruments!({ allVersions: true });
    expect(stored.map((s) => s.version)).toEqual(CONFORMANCE_INSTRUMENTS.map(() => 1));
    await Promise.all(catalogs.map((c) => c.close()));
  });

  it('an idle pooled connection killed by the server (pg_terminate_backend) is replaced: at most one transient failure, then the call works', async () => {
    const url = await databaseUrl('terminated');
    const catalog = createPostgresCatalog({ connectionString: url, maxConnections: 1, applicationName: 'fits-ingest-kill' });
    await catalog.init();
    await inserted(catalog, 1);
    // Kill the (idle) pooled connection, then use the catalog: the first use may fail, transiently; the next works.
    const killed = await server!.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'fits-ingest-kill'`);
    expect(killed.rows).toEqual([{ ok: true }]);
    await new Promise((r) => setTimeout(r, 100));
    let first: unknown;
    try {
      await catalog.getRecord('rec-1');
    } catch (error) {
      first = error;
    }
    if (first !== undefined) {
      expect(isIngestError(first, 'CATALOG_UNREACHABLE') && first.kind).toBe('transient');
    }
    expect((await catalog.getRecord('rec-1'))?.id).toBe('rec-1');
    await catalog.close();
  });

  /** Inserts rec-7 while another session locks the table, kills the insert's backend mid-transaction, then unlocks. */
  async function killInsideTransaction(key: string, retryForMs: number): Promise<{ catalog: Catalog; error: unknown }> {
    const url = await databaseUrl(key);
    const name = `fits-ingest-${key}`;
    const catalog = createPostgresCatalog({ connectionString: url, maxConnections: 1, applicationName: name, retryForMs });
    await catalog.init();
    const pg = (await import('pg')).default;
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE records IN EXCLUSIVE MODE');
    const pending = inserted(catalog, 7).then(
      () => undefined,
      (error: unknown) => error,
    );
    const waitingPid = async (): Promise<number | undefined> => {
      for (let i = 0; i < 100; i++) {
        const { rows } = await server!.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name]);
        if (rows.length > 0) return rows[0].pid as number;
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    };
    const first = await waitingPid();
    expect(first).toBeDefined();
    await server!.query('SELECT pg_terminate_backend($1)', [first]);
    // With retries, the call runs again on a new connection and waits for the lock once more.
    if (retryForMs > 0) expect(await waitingPid()).not.toBe(first);
    await locker.query('ROLLBACK');
    await locker.end();
    return { catalog, error: await pending };
  }

  it('a connection terminated inside a transaction is retried on a new one: the write happens exactly once', async () => {
    const { catalog, error } = await killInsideTransaction('terminated_retry', 30_000);
    expect(error).toBeUndefined();
    expect((await catalog.getRecord('rec-7'))?.id).toBe('rec-7');
    expect(await catalog.history('rec-7')).toHaveLength(1);
    await catalog.close();
  });

  it('without retries (retryForMs 0) the terminated transaction is CATALOG_UNREACHABLE (transient) and changes nothing', async () => {
    const { catalog, error } = await killInsideTransaction('terminated_tx', 0);
    expect(isIngestError(error, 'CATALOG_UNREACHABLE') && (error as IngestError).kind).toBe('transient');
    expect(await catalog.getRecord('rec-7')).toBeUndefined();
    await inserted(catalog, 7);
    expect((await catalog.getRecord('rec-7'))?.id).toBe('rec-7');
    await catalog.close();
  });

  it('an unreachable server is CATALOG_UNREACHABLE, and no error shows the password', async () => {
    const url = server!.url('postgres').replace(`:${server!.port}/`, ':1/');
    const error = await failure(() => createPostgresCatalog({ connectionString: url, connectTimeoutMs: 2000 }).init());
    expect(isIngestError(error, 'CATALOG_UNREACHABLE') && error.kind).toBe('transient');
    expect(JSON.stringify({ message: error.message, context: error.context })).not.toContain(server!.password);
    expect(String(error.context.catalog)).toContain('postgres:***@127.0.0.1:1/');
  });

  it('a wrong password is CATALOG_UNUSABLE and is not printed either', async () => {
    const url = server!.url('postgres').replace(server!.password, 'wrong-secret');
    const error = await failure(() => createPostgresCatalog({ connectionString: url }).init());
    expect(isIngestError(error, 'CATALOG_UNUSABLE')).toBe(true);
    expect(`${error.message} ${JSON.stringify(error.context)}`).not.toContain('wrong-secret');
  });

  it('rejects bad options with INVALID_OPTIONS naming the field', () => {
    for (const [options, field] of [
      [{ connectionString: 'mysql://x' }, 'connectionString'],
      [{ maxConnections: 0 }, 'maxConnections'],
      [{ instruments: [{ name: 'A', keywordTable: [{ column: 'x; DROP', type: 'string' }] }] }, 'instruments'],
    ] as const) {
      let error: unknown;
      try {
        createPostgresCatalog(options as never);
      } catch (e) {
        error = e;
      }
      expect(isIngestError(error, 'INVALID_OPTIONS'), JSON.stringify(options)).toBe(true);
      expect(String((error as IngestError).context.field)).toContain(field);
    }
  });
});

describe('PostgreSQL catalog capabilities', () => {
  it('is durable and shared, so the conformance suite above skips none of its tests', () => {
    // A conformance test that needs a capability the catalog lacks is skipped: declaring both keeps every one running.
    expect(createPostgresCatalog({ connectionString: 'postgres://nobody@127.0.0.1:1/none' }).capabilities).toEqual({ durable: true, shared: true });
  });
});
