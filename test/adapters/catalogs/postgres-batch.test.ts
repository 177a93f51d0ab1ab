/**
 * Batched commits on PostgreSQL, on a real throw-away cluster: transitions and ARCHIVED commits of different files
 * asked for together share one transaction, each in its own savepoint; a write that fails is rolled back alone and
 * the others commit; a batch whose connection is killed is run again whole, each write exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchStatsOf } from '../../../src/adapters/catalogs/_postgres-batch.js';
import { createPostgresCatalog } from '../../../src/adapters/catalogs/postgres.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { FileRecord } from '../../../src/core/lifecycle/record.js';
import { transition } from '../../../src/core/lifecycle/transition.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { CONFORMANCE_INSTRUMENTS, archiveIdOf, archivedFileOf, inserted, toTransferred } from '../../../src/testing/_catalog-fixtures.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => server?.stop());

async function open(name: string, options: { applicationName?: string; maxConnections?: number } = {}): Promise<Catalog> {
  const catalog = createPostgresCatalog({ connectionString: await server.createDatabase(name), instruments: CONFORMANCE_INSTRUMENTS, ...options });
  await catalog.init();
  return catalog;
}

const statsOf = (catalog: Catalog): { batches: number; writes: number } => {
  const stats = batchStatsOf.get(catalog);
  if (!stats) throw new Error('no batch counters for this catalog');
  return { ...stats };
};

const settle = <T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('PostgreSQL catalog: batched commits', () => {
  it('concurrent transitions of different files share one transaction, each stored with its history', async () => {
    const catalog = await open('batch_transitions');
    const records = await Promise.all(Array.from({ length: 12 }, (_, i) => inserted(catalog, i + 1)));
    const before = statsOf(catalog);
    const steps = records.map((r) => transition(r, { type: 'STABLE', size: 5760, mtimeMs: r.createdAt - 10 }, r.updatedAt + 1));
    await Promise.all(steps.map((s) => catalog.updateRecord(s.record, s.entry)));
    const after = statsOf(catalog);
    expect(after.writes - before.writes).toBe(12);
    expect(after.batches - before.batches).toBe(1);
    for (const s of steps) {
      expect(await catalog.getRecord(s.record.id)).toEqual(s.record);
      expect((await catalog.history(s.record.id)).map((h) => h.to)).toEqual(['DETECTED', 'STABLE']);
    }
    await catalog.close();
  });

  it('in one batch of ARCHIVED commits, a failing commit is rolled back alone and the others commit', async () => {
    const catalog = await open('batch_commits');
    const working: FileRecord[] = [];
    for (let n = 1; n <= 6; n++) working.push(await toTransferred(catalog, await inserted(catalog, n), archiveIdOf(n)));
    const commits = working.map((r) => ({ ...transition(r, { type: 'ARCHIVED' }, r.updatedAt + 1), file: archivedFileOf(r) }));
    // Record 3 commits a stale version (CONFLICT); record 5 claims the archive id record 1 commits in the same batch.
    const stale = { ...commits[2]!, record: { ...commits[2]!.record, version: commits[2]!.record.version + 1 } };
    const taken = { ...commits[4]!, file: { ...commits[4]!.file, archiveId: commits[0]!.file.archiveId } };
    const asked = [commits[0]!, commits[1]!, stale, commits[3]!, taken, commits[5]!];
    const before = statsOf(catalog);
    const outcomes = await Promise.all(asked.map((c) => settle(catalog.commitArchived(c.record, c.entry!, c.file))));
    expect(statsOf(catalog).batches - before.batches).toBe(1);
    expect(outcomes.map((o) => (o.ok ? 'ok' : isIngestError(o.error) ? o.error.code : String(o.error)))).toEqual(['ok', 'ok', 'CONFLICT', 'ok', 'ARCHIVE_ID_CONFLICT', 'ok']);

    for (const i of [0, 1, 3, 5]) {
      expect(await catalog.getRecord(working[i]!.id)).toEqual(commits[i]!.record);
      expect((await catalog.history(working[i]!.id)).at(-1)!.to).toBe('ARCHIVED');
      expect((await catalog.getArchived(commits[i]!.file.archiveId))?.recordId).toBe(working[i]!.id);
    }
    // The refused commits left nothing: the records as they were, no ARCHIVED entry, no archived file, no event.
    for (const i of [2, 4]) {
      expect(await catalog.getRecord(working[i]!.id)).toEqual(working[i]);
      expect((await catalog.history(working[i]!.id)).map((h) => h.to)).not.toContain('ARCHIVED');
      expect(await catalog.getArchived(commits[i]!.file.archiveId)).toBeUndefined();
    }
    expect((await catalog.findArchived({ limit: 100 })).map((f) => f.recordId).sort()).toEqual([0, 1, 3, 5].map((i) => working[i]!.id).sort());
    expect((await catalog.events!({ limit: 100 })).events.filter((e) => e.kind === 'archived')).toHaveLength(4);
    // The refused ones commit once their callers fix what was wrong.
    await catalog.commitArchived(commits[2]!.record, commits[2]!.entry!, commits[2]!.file);
    await catalog.commitArchived(commits[4]!.record, commits[4]!.entry!, commits[4]!.file);
    expect((await catalog.counts()).ARCHIVED).toBe(6);
    await catalog.close();
  });

  it('a batch whose connection is killed before COMMIT runs again whole on a new one: each write exactly once', async () => {
    const name = 'fits-ingest-batch-kill';
    const catalog = await open('batch_killed', { applicationName: name, maxConnections: 2 });
    const records = await Promise.all(Array.from({ length: 8 }, (_, i) => inserted(catalog, i + 1)));
    const pg = (await import('pg')).default;
    const locker = new pg.Client({ connectionString: server.url('batch_killed') });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE history IN EXCLUSIVE MODE');
    const steps = records.map((r) => transition(r, { type: 'STABLE', size: 5760, mtimeMs: r.createdAt - 10 }, r.updatedAt + 1));
    const before = statsOf(catalog);
    const pending = Promise.all(steps.map((s) => settle(catalog.updateRecord(s.record, s.entry))));
    const waitingPid = async (not?: number): Promise<number | undefined> => {
      for (let i = 0; i < 200; i++) {
        const { rows } = await server.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name]);
        const pid = rows.map((r) => r.pid as number).find((p) => p !== not);
        if (pid !== undefined) return pid;
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    };
    // The batch has updated its first record and waits on the history table: kill its connection there.
    const first = await waitingPid();
    expect(first).toBeDefined();
    await server.query('SELECT pg_terminate_backend($1)', [first]);
    expect(await waitingPid(first)).toBeDefined(); // run again on a new connection
    await locker.query('ROLLBACK');
    await locker.end();
    expect((await pending).filter((o) => !o.ok)).toEqual([]);
    expect(statsOf(catalog).batches - before.batches).toBe(1);
    for (const s of steps) {
      expect(await catalog.getRecord(s.record.id)).toEqual(s.record);
      expect((await catalog.history(s.record.id)).map((h) => h.to)).toEqual(['DETECTED', 'STABLE']);
    }
    await catalog.close();
  });
});
