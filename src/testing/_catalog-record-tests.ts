/**
 * Conformance tests of records: insert and dedupe, round trips, optimistic concurrency, history, counts, queries,
 * persistence and sharing. Internal to src/testing.
 *
 * @module
 */
import type { FileRecord, HistoryEntry } from '../core/lifecycle/record.js';
import { transition } from '../core/lifecycle/transition.js';
import { T0, archived, inserted, newRecord, rejection, step } from './_catalog-fixtures.js';
import type { DefineTest } from './_catalog-fixtures.js';

/** A record with every optional field set, in an active state. */
function fullRecord(): { record: FileRecord; entry: HistoryEntry } {
  const record: FileRecord = {
    id: 'full-1',
    source: '/data/raw/nuit é/ü 🌌.fits',
    originalName: 'ü 🌌.fits',
    trigger: 'mail',
    state: 'FAILED',
    level: 2,
    parents: ['TC.20240101.00001.00', 'TC.20240101.00002.00'],
    instrument: 'TESTCAM',
    archiveId: 'TC.20240101.00100.00',
    night: '2024-01-01',
    size: 123_456_789_012,
    mtimeMs: 1_699_999_999_123.456,
    sourceSha256: 'a'.repeat(64),
    staged: '/stage/TC.20240101.00100.00.fits',
    sha256: 'b'.repeat(64),
    stagedSize: 123_456_789_600,
    location: 'https://archive.example/TC.20240101.00100.00.fits',
    attempts: 3,
    nextAttemptAt: T0 + 60_000,
    resumeFrom: 'PREPARED',
    error: { code: 'IO_ERROR', kind: 'transient', message: 'disk full', step: 'transfer' },
    warnings: [
      { code: 'DATE_REPAIRED', message: 'DATE-OBS was 01/01/24', keyword: 'DATE-OBS' },
      { code: 'NOTE', message: 'plain' },
    ],
    duplicateOf: 'rec-9',
    supersededBy: 'rec-10',
    metadata: { volume: 'STB-0042', member: 7, compressed: false, ratio: 0.25 },
    createdAt: T0,
    updatedAt: T0 + 5,
    version: 1,
  };
  return { record, entry: { recordId: record.id, at: T0, from: null, to: 'FAILED', cause: 'IMPORT', actor: 'operator:ann', code: 'IO_ERROR', message: 'disk full' } };
}

export function recordTests(define: DefineTest): void {
  define('insertRecord stores a record with its first history entry', async ({ catalog, expect }) => {
    const { record, entry } = newRecord(1);
    expect(await catalog.insertRecord(record, entry)).toEqual({ inserted: true, record });
    expect(await catalog.getRecord(record.id)).toEqual(record);
    expect(await catalog.history(record.id)).toEqual([entry]);
    expect(await catalog.getRecord('nope')).toBeUndefined();
    expect(await catalog.history('nope')).toEqual([]);
  });

  define('insertRecord returns the active record of the same source and stores nothing', async ({ catalog, expect }) => {
    const first = await step(catalog, await inserted(catalog, 1, '/data/raw/same.fits'), { type: 'STABLE', size: 1, mtimeMs: 1 });
    const { record, entry } = newRecord(2, '/data/raw/same.fits');
    expect(await catalog.insertRecord(record, entry)).toEqual({ inserted: false, record: first });
    expect(await catalog.getRecord(record.id)).toBeUndefined();
    expect(await catalog.history(record.id)).toEqual([]);
    expect((await catalog.counts()).STABLE).toBe(1);
    expect((await catalog.counts()).DETECTED).toBe(0);
  });

  define('a source gets a new record once its last one is final', async ({ catalog, expect }) => {
    const first = await inserted(catalog, 1, '/data/raw/again.fits');
    await step(catalog, first, { type: 'INVALID', error: { code: 'NOT_FITS', kind: 'invalid', message: 'not FITS' } });
    const { record, entry } = newRecord(2, '/data/raw/again.fits');
    expect((await catalog.insertRecord(record, entry)).inserted).toBe(true);
    expect((await catalog.findRecords({ source: '/data/raw/again.fits' })).map((r) => r.id)).toEqual(['rec-1', 'rec-2']);
  });

  define('insertRecord with an id already used is CONFLICT', async ({ catalog, expect }) => {
    const first = await inserted(catalog, 1);
    await step(catalog, first, { type: 'INVALID', error: { code: 'NOT_FITS', kind: 'invalid', message: 'not FITS' } });
    const { record, entry } = newRecord(1, '/data/raw/elsewhere.fits');
    expect(await rejection(() => catalog.insertRecord(record, entry))).toBe('CONFLICT');
  });

  define('records round-trip with every field; an update removes cleared fields', async ({ catalog, expect }) => {
    const { record, entry } = fullRecord();
    await catalog.insertRecord(record, entry);
    const got = await catalog.getRecord(record.id);
    expect(got).toEqual(record);
    expect(Object.keys(got!).sort()).toEqual(Object.keys(record).sort());
    const retried = transition(record, { type: 'RETRY' }, T0 + 100);
    await catalog.updateRecord(retried.record, retried.entry);
    const after = await catalog.getRecord(record.id);
    expect(after).toEqual(retried.record);
    expect(Object.keys(after!).sort()).toEqual(Object.keys(retried.record).sort());
    expect('nextAttemptAt' in after!).toBe(false);
  });

  define('records are copies: changing one changes nothing stored', async ({ catalog, expect }) => {
    const { record, entry } = newRecord(1);
    await catalog.insertRecord(record, entry);
    record.parents.push('changed');
    record.metadata['x'] = 1;
    entry.actor = 'changed';
    const got = (await catalog.getRecord('rec-1'))!;
    got.warnings.push({ code: 'X', message: 'changed' });
    expect(await catalog.getRecord('rec-1')).toEqual(newRecord(1).record);
    expect((await catalog.history('rec-1'))[0]!.actor).toBe('conformance');
  });

  define('updateRecord refuses a stale version with CONFLICT and stores nothing', async ({ catalog, expect }) => {
    const record = await inserted(catalog, 1);
    const stable = await step(catalog, record, { type: 'STABLE', size: 10, mtimeMs: 5 });
    const stale = transition(record, { type: 'INVALID', error: { code: 'NOT_FITS', kind: 'invalid', message: 'x' } }, T0 + 50);
    expect(await rejection(() => catalog.updateRecord(stale.record, stale.entry))).toBe('CONFLICT');
    const same = { ...stable, updatedAt: T0 + 60 };
    expect(await rejection(() => catalog.updateRecord(same))).toBe('CONFLICT');
    expect(await catalog.getRecord('rec-1')).toEqual(stable);
    expect(await catalog.history('rec-1')).toHaveLength(2);
  });

  define('updateRecord of an unknown record is NOT_FOUND', async ({ catalog, expect }) => {
    const { record } = newRecord(1);
    const { record: next, entry } = transition(record, { type: 'STABLE', size: 1, mtimeMs: 1 }, T0 + 10);
    expect(await rejection(() => catalog.updateRecord(next, entry))).toBe('NOT_FOUND');
  });

  define('updateRecord refuses to reactivate a source that has another active record', async ({ catalog, expect }) => {
    const old = await step(catalog, await inserted(catalog, 1, '/data/raw/s.fits'), {
      type: 'INVALID',
      error: { code: 'NOT_FITS', kind: 'invalid', message: 'x' },
    });
    await inserted(catalog, 2, '/data/raw/s.fits');
    const requeued = transition(old, { type: 'REQUEUE', actor: 'operator:ann' }, T0 + 100);
    expect(await rejection(() => catalog.updateRecord(requeued.record, requeued.entry))).toBe('CONFLICT');
    expect(await catalog.getRecord('rec-1')).toEqual(old);
  });

  define('history lists every transition oldest first, with code and message', async ({ catalog, expect }) => {
    const { record, entry } = newRecord(1);
    await catalog.insertRecord(record, entry);
    const entries = [entry];
    let r = record;
    for (const event of [
      { type: 'FAILED', error: { code: 'IO_ERROR', kind: 'transient', message: 'disk full' } },
      { type: 'RETRY' },
      { type: 'STABLE', size: 2880, mtimeMs: 3 },
    ] as const) {
      const result = transition(r, event, r.updatedAt + 1);
      await catalog.updateRecord(result.record, result.entry);
      entries.push(result.entry!);
      r = result.record;
    }
    expect(await catalog.history('rec-1')).toEqual(entries);
    expect((await catalog.history('rec-1'))[1]).toEqual({ ...entries[1], code: 'IO_ERROR', message: 'disk full' });
  });

  define('counts counts records by state', async ({ catalog, expect }) => {
    await inserted(catalog, 1);
    await step(catalog, await inserted(catalog, 2), { type: 'STABLE', size: 1, mtimeMs: 1 });
    await archived(catalog, 3);
    const counts = await catalog.counts();
    expect(counts).toEqual({ ...Object.fromEntries(Object.keys(counts).map((s) => [s, 0])), DETECTED: 1, STABLE: 1, ARCHIVED: 1 });
  });

  define('findRecords filters by every field, orders by age and limits', async ({ catalog, expect }) => {
    await inserted(catalog, 1);
    await step(catalog, await inserted(catalog, 2), { type: 'STABLE', size: 1, mtimeMs: 1 }, T0 + 500);
    await archived(catalog, 3);
    const ids = async (q: Parameters<typeof catalog.findRecords>[0]): Promise<string[]> =>
      (await catalog.findRecords(q)).map((r) => r.id);
    expect(await ids({})).toEqual(['rec-1', 'rec-2', 'rec-3']);
    expect(await ids({ newestFirst: true })).toEqual(['rec-3', 'rec-2', 'rec-1']);
    expect(await ids({ limit: 2 })).toEqual(['rec-1', 'rec-2']);
    expect(await ids({ limit: 0 })).toEqual([]);
    expect(await ids({ ids: ['rec-3', 'rec-1', 'x'] })).toEqual(['rec-1', 'rec-3']);
    expect(await ids({ ids: [] })).toEqual([]);
    expect(await ids({ states: ['DETECTED', 'ARCHIVED'] })).toEqual(['rec-1', 'rec-3']);
    expect(await ids({ source: '/data/raw/f2.fits' })).toEqual(['rec-2']);
    expect(await ids({ instrument: 'TESTCAM' })).toEqual(['rec-3']);
    expect(await ids({ archiveId: 'TC.20240101.00003.00' })).toEqual(['rec-3']);
    expect(await ids({ sourceSha256: 'src-rec-3' })).toEqual(['rec-3']);
    expect(await ids({ updatedBefore: T0 + 500 })).toEqual(['rec-1', 'rec-3']);
    expect(await ids({ updatedBefore: T0 + 2 })).toEqual(['rec-1']);
    expect(await ids({ states: ['DETECTED', 'STABLE'], updatedBefore: T0 + 501, newestFirst: true })).toEqual(['rec-2', 'rec-1']);
  });

  define('everything survives close and reopen', async ({ catalog, expect, open }) => {
    const { record: done, file } = await archived(catalog, 1);
    const pending = await inserted(catalog, 2);
    await catalog.claim({ owner: 'w1', now: T0, leaseMs: 60_000, limit: 10 });
    const history = await catalog.history('rec-1');
    await catalog.close();
    const again = await open();
    expect(await again.getRecord('rec-1')).toEqual(done);
    expect(await again.getRecord('rec-2')).toEqual(pending);
    expect(await again.history('rec-1')).toEqual(history);
    expect(await again.getArchived(file.archiveId)).toEqual(file);
    expect(await again.claim({ owner: 'w2', now: T0 + 1, leaseMs: 60_000, limit: 10 })).toEqual([]);
  }, 'durable');

  define('two instances on one storage share records, dedupe and claims', async ({ catalog, expect, open }) => {
    const other = await open();
    const record = await inserted(catalog, 1, '/data/raw/shared.fits');
    expect(await other.getRecord('rec-1')).toEqual(record);
    const { record: twin, entry } = newRecord(2, '/data/raw/shared.fits');
    expect(await other.insertRecord(twin, entry)).toEqual({ inserted: false, record });
    for (let n = 3; n <= 12; n++) await inserted(n % 2 ? catalog : other, n);
    const claims = await Promise.all([
      catalog.claim({ owner: 'a', now: T0, leaseMs: 60_000, limit: 4 }),
      other.claim({ owner: 'b', now: T0, leaseMs: 60_000, limit: 4 }),
      catalog.claim({ owner: 'c', now: T0, leaseMs: 60_000, limit: 4 }),
    ]);
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(11);
    const stable = transition(record, { type: 'STABLE', size: 1, mtimeMs: 1 }, T0 + 10);
    await other.updateRecord(stable.record, stable.entry);
    expect(await rejection(() => catalog.updateRecord(stable.record, stable.entry))).toBe('CONFLICT');
  }, 'shared');
}
