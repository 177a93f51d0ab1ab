/**
 * Conformance tests of guarded inserts: the "already archived?" check and the insert of a new record are one atomic
 * step, so a file archived by another worker (or host) between a submitter's look and its insert is not given a
 * second record that would end DUPLICATE. Internal to src/testing.
 *
 * @module
 */
import type { FileRecord } from '../core/lifecycle/record.js';
import type { Catalog } from '../core/ports/catalog.js';
import { transition } from '../core/lifecycle/transition.js';
import { archiveIdOf, archivedFileOf, inserted, newRecord, toTransferred } from './_catalog-fixtures.js';
import type { DefineTest } from './_catalog-fixtures.js';

/** Takes record `n` of `source` to TRANSFERRED (the step before the commit). */
async function transferred(catalog: Catalog, n: number, source: string): Promise<FileRecord> {
  return toTransferred(catalog, await inserted(catalog, n, source), archiveIdOf(n));
}

/** Commits a TRANSFERRED record as ARCHIVED and returns it. */
async function commit(catalog: Catalog, record: FileRecord): Promise<FileRecord> {
  const { record: done, entry } = transition(record, { type: 'ARCHIVED' }, record.updatedAt + 1);
  await catalog.commitArchived(done, entry!, archivedFileOf(record));
  return done;
}

export function guardTests(define: DefineTest): void {
  define('a guarded insert stores nothing when the source was archived since the caller looked', async ({ catalog, expect }) => {
    const source = '/data/raw/guarded.fits';
    const first = await commit(catalog, await transferred(catalog, 1, source));
    const { record, entry } = newRecord(2, source);
    // The caller saw nothing archived: the ARCHIVED record comes back instead.
    expect(await catalog.insertRecord(record, entry, undefined, { lastArchived: null })).toEqual({ inserted: false, record: first, archived: first });
    expect(await catalog.getRecord(record.id)).toBeUndefined();
    expect(await catalog.history(record.id)).toEqual([]);
    // The caller saw that record (and found other bytes): the new record is stored.
    expect(await catalog.insertRecord(record, entry, undefined, { lastArchived: first.id })).toEqual({ inserted: true, record });
  });

  define('a guarded insert compares with the newest ARCHIVED record of the source', async ({ catalog, expect }) => {
    const source = '/data/raw/twice.fits';
    const first = await commit(catalog, await transferred(catalog, 1, source));
    const second = await commit(catalog, await transferred(catalog, 2, source));
    const { record, entry } = newRecord(3, source);
    expect((await catalog.insertRecord(record, entry, undefined, { lastArchived: first.id })).archived).toEqual(second);
    expect((await catalog.insertRecord(record, entry, undefined, { lastArchived: second.id })).inserted).toBe(true);
  });

  define('a guarded insert returns an active record as an unguarded one does, and inserts for a new source', async ({ catalog, expect }) => {
    const active = await inserted(catalog, 1, '/data/raw/active.fits');
    const { record, entry } = newRecord(2, '/data/raw/active.fits');
    expect(await catalog.insertRecord(record, entry, undefined, { lastArchived: null })).toEqual({ inserted: false, record: active });
    const fresh = newRecord(3, '/data/raw/fresh.fits');
    expect(await catalog.insertRecord(fresh.record, fresh.entry, undefined, { lastArchived: null })).toEqual({ inserted: true, record: fresh.record });
  });

  define('guarded inserts racing commits on another instance never give a source a second record', async ({ catalog, expect, open }) => {
    const other = await open();
    const sources = Array.from({ length: 12 }, (_, i) => `/data/raw/race-${i}.fits`);
    const working = await Promise.all(sources.map((source, i) => transferred(catalog, i + 1, source)));
    // Each commit races a guarded insert of the same source by a submitter that saw nothing archived yet.
    const outcomes = await Promise.all(
      working.map(async (record, i) => {
        const twin = newRecord(100 + i, record.source);
        const [, result] = await Promise.all([commit(catalog, record), other.insertRecord(twin.record, twin.entry, { owner: 'late', until: twin.record.createdAt + 60_000 }, { lastArchived: null })]);
        return result;
      }),
    );
    for (const [i, result] of outcomes.entries()) {
      expect([sources[i], result.inserted]).toEqual([sources[i], false]);
      expect(result.record.id).toBe(working[i]!.id);
    }
    const records = await catalog.findRecords({ limit: 1000 });
    expect(records.filter((r) => r.state !== 'ARCHIVED')).toEqual([]);
    expect(records).toHaveLength(sources.length);
  }, 'shared');
}
