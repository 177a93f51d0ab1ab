/**
 * Conformance tests of the work queue: claims, leases, FAILED records coming due, release. Internal to
 * src/testing.
 *
 * @module
 */
import { createRecord, type FileRecord } from '../core/lifecycle/record.js';
import type { StateName } from '../core/lifecycle/states.js';
import type { CompleteCatalog } from '../core/ports/catalog.js';
import { T0, archived, archiveIdOf, inserted, rejection, step, toTransferred } from './_catalog-fixtures.js';
import type { DefineTest } from './_catalog-fixtures.js';

const claim = (catalog: CompleteCatalog, owner: string, now: number, limit = 10, leaseMs = 1000): Promise<FileRecord[]> =>
  catalog.claim({ owner, now, leaseMs, limit });
const idsOf = (records: FileRecord[]): string[] => records.map((r) => r.id);

/** Stores a record that is already in `state` (as an import would). */
async function storedIn(catalog: CompleteCatalog, n: number, state: StateName): Promise<FileRecord> {
  const record = { ...createRecord({ id: `rec-${n}`, source: `/data/raw/f${n}.fits`, originalName: `f${n}.fits`, trigger: 't' }, T0 + n), state };
  await catalog.insertRecord(record, { recordId: record.id, at: T0 + n, from: null, to: state, cause: 'IMPORT', actor: 'conformance' });
  return record;
}

export function claimTests(define: DefineTest): void {
  define('claim hands out active work oldest first, up to the limit', async ({ catalog, expect }) => {
    for (const n of [3, 1, 5, 2, 4]) await inserted(catalog, n);
    expect(idsOf(await claim(catalog, 'a', T0, 3))).toEqual(['rec-1', 'rec-2', 'rec-3']);
    expect(idsOf(await claim(catalog, 'b', T0, 10))).toEqual(['rec-4', 'rec-5']);
    expect(await claim(catalog, 'c', T0, 10)).toEqual([]);
    expect(await claim(catalog, 'a', T0, 0)).toEqual([]);
  });

  define('leaseHolders lists who holds unexpired leases on unfinished records, and how many', async ({ catalog, expect }) => {
    if (!catalog.leaseHolders) return expect(catalog.leaseHolders).toBeUndefined();
    for (const n of [1, 2, 3, 4]) await inserted(catalog, n);
    await claim(catalog, 'host-a', T0, 3, 1000);
    await claim(catalog, 'host-b', T0 + 10, 1, 5000);
    expect(await catalog.leaseHolders(T0 + 20)).toEqual([
      { owner: 'host-a', records: 3, until: T0 + 1000 },
      { owner: 'host-b', records: 1, until: T0 + 5010 },
    ]);
    expect(await catalog.leaseHolders(T0 + 1000)).toEqual([{ owner: 'host-b', records: 1, until: T0 + 5010 }]);
    await catalog.release('rec-4', 'host-b');
    expect(await catalog.leaseHolders(T0 + 1000)).toEqual([]);
  });

  define('claim hands out every active state', async ({ catalog, expect }) => {
    const detected = await inserted(catalog, 1);
    const stable = await step(catalog, await inserted(catalog, 2), { type: 'STABLE', size: 1, mtimeMs: 1 });
    const transferred = await toTransferred(catalog, await inserted(catalog, 3), archiveIdOf(3));
    const prepared = await storedIn(catalog, 4, 'PREPARED');
    const transferring = await storedIn(catalog, 5, 'TRANSFERRING');
    expect(await claim(catalog, 'a', T0 + 100)).toEqual([detected, stable, transferred, prepared, transferring]);
  });

  define('claim never hands out final states', async ({ catalog, expect }) => {
    await archived(catalog, 1);
    const finals: StateName[] = ['INVALID', 'ABANDONED', 'DUPLICATE', 'SUPERSEDED'];
    for (const [i, state] of finals.entries()) await storedIn(catalog, 10 + i, state);
    expect(await claim(catalog, 'a', T0 + 1_000_000)).toEqual([]);
  });

  define('claim does not change the records it hands out', async ({ catalog, expect }) => {
    const record = await inserted(catalog, 1);
    expect(await claim(catalog, 'a', T0)).toEqual([record]);
    expect(await catalog.getRecord('rec-1')).toEqual(record);
    expect(await catalog.history('rec-1')).toHaveLength(1);
    await step(catalog, record, { type: 'STABLE', size: 1, mtimeMs: 1 });
  });

  define('a record inserted with a lease belongs to its submitter until the lease ends', async ({ catalog, expect }) => {
    const record = createRecord({ id: 'rec-1', source: '/data/raw/f1.fits', originalName: 'f1.fits', trigger: 't' }, T0);
    const entry = { recordId: record.id, at: T0, from: null, to: 'DETECTED' as const, cause: 'DETECTED', actor: 't' };
    expect((await catalog.insertRecord(record, entry, { owner: 'a', until: T0 + 1000 })).inserted).toBe(true);
    expect(await claim(catalog, 'b', T0 + 999)).toEqual([]);
    expect(idsOf(await claim(catalog, 'a', T0 + 1))).toEqual(['rec-1']);
    expect(idsOf(await claim(catalog, 'b', T0 + 5000))).toEqual(['rec-1']);
  });

  define('leases: others wait until expiry, the owner reclaims and extends', async ({ catalog, expect }) => {
    await inserted(catalog, 1);
    expect(idsOf(await claim(catalog, 'a', T0))).toEqual(['rec-1']);
    expect(await claim(catalog, 'b', T0 + 999)).toEqual([]);
    expect(idsOf(await claim(catalog, 'a', T0 + 500))).toEqual(['rec-1']);
    expect(await claim(catalog, 'b', T0 + 1499)).toEqual([]);
    expect(idsOf(await claim(catalog, 'b', T0 + 1500))).toEqual(['rec-1']);
    expect(await claim(catalog, 'a', T0 + 1600)).toEqual([]);
  });

  define('FAILED records are handed out only when their next attempt is due', async ({ catalog, expect }) => {
    const failed = await step(catalog, await inserted(catalog, 1), {
      type: 'FAILED',
      error: { code: 'IO_ERROR', kind: 'transient', message: 'disk full' },
    });
    const due = failed.nextAttemptAt!;
    expect(await claim(catalog, 'a', due - 1)).toEqual([]);
    expect(await claim(catalog, 'a', due)).toEqual([failed]);
  });

  define('release ends the owner\'s lease only', async ({ catalog, expect }) => {
    await inserted(catalog, 1);
    await claim(catalog, 'a', T0);
    await catalog.release('rec-1', 'b');
    expect(await claim(catalog, 'b', T0 + 1)).toEqual([]);
    await catalog.release('rec-1', 'a');
    expect(idsOf(await claim(catalog, 'b', T0 + 2))).toEqual(['rec-1']);
    expect(await rejection(() => catalog.release('nope', 'a'))).toBe('NOT_FOUND');
  });

  define('claim options are checked', async ({ catalog, expect }) => {
    expect(await rejection(() => catalog.claim({ owner: '', now: T0, leaseMs: 1000, limit: 1 }))).toBe('INVALID_OPTIONS');
    expect(await rejection(() => catalog.claim({ owner: 'a', now: T0, leaseMs: 0, limit: 1 }))).toBe('INVALID_OPTIONS');
    expect(await rejection(() => catalog.claim({ owner: 'a', now: T0, leaseMs: 1000, limit: -1 }))).toBe('INVALID_OPTIONS');
  });
}
