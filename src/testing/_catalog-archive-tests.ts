/**
 * Conformance tests of the archive index: the commit point (all or nothing), supersede, findArchived with every
 * filter and keyword predicate, locations. Internal to src/testing.
 *
 * @module
 */
import type { FileRecord } from '../core/lifecycle/record.js';
import { transition } from '../core/lifecycle/transition.js';
import type { ArchivedFile, ColumnPredicate, CompleteCatalog, FileQuery } from '../core/ports/catalog.js';
import {
  T0,
  archived,
  archivedFileOf,
  archiveIdOf,
  inserted,
  newRecord,
  rejection,
  rejectionNaming,
  testcamColumns,
  toTransferred,
} from './_catalog-fixtures.js';
import type { ConformanceHarness, DefineTest } from './_catalog-fixtures.js';

/** Expects that a failed commit of record `n` (TRANSFERRED) left everything as it was. */
async function expectNothingCommitted(h: ConformanceHarness, before: FileRecord, archiveId: string, held?: ArchivedFile): Promise<void> {
  h.expect(await h.catalog.getRecord(before.id)).toEqual(before);
  h.expect((await h.catalog.history(before.id)).at(-1)!.to).toBe(before.state);
  h.expect(await h.catalog.getArchived(archiveId)).toEqual(held);
  h.expect((await h.catalog.findArchived({})).map((f) => f.recordId)).toEqual(held ? [held.recordId] : []);
}

function commitOf(record: FileRecord, overrides: Partial<ArchivedFile> = {}) {
  const { record: done, entry } = transition(record, { type: 'ARCHIVED' }, record.updatedAt + 1);
  return { record: done, entry: entry!, file: archivedFileOf(record, overrides) };
}

/** An ARCHIVED record `n` made directly (as `media index` restores one), with its entry and file. */
function imported(n: number, archiveId = archiveIdOf(n)) {
  const record: FileRecord = {
    ...newRecord(n).record,
    state: 'ARCHIVED',
    instrument: 'TESTCAM',
    archiveId,
    night: '2024-01-01',
    sha256: `sha-rec-${n}`,
    stagedSize: 5760,
    sourceSha256: `src-rec-${n}`,
    location: `/media/FI000001.c1.tar#${archiveId}.fits`,
  };
  const entry = { recordId: record.id, at: record.createdAt, from: null, to: 'ARCHIVED' as const, cause: 'RESTORED_FROM_MEDIA', actor: 'media-index' };
  return { record, entry, file: archivedFileOf(record) };
}

const archiveIds = async (catalog: CompleteCatalog, query: FileQuery): Promise<string[]> =>
  (await catalog.findArchived(query)).map((f) => f.archiveId);

export function archiveTests(define: DefineTest): void {
  define('commitArchived stores the ARCHIVED record, its history entry and the file', async ({ catalog, expect }) => {
    const { record, file } = await archived(catalog, 1);
    expect(await catalog.getRecord('rec-1')).toEqual(record);
    expect((await catalog.history('rec-1')).map((e) => e.to)).toEqual(['DETECTED', 'STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED', 'ARCHIVED']);
    expect(await catalog.getArchived(file.archiveId)).toEqual(file);
    expect(await catalog.findArchived({})).toEqual([file]);
    expect(await catalog.getArchived('nope')).toBeUndefined();
    const copy = (await catalog.getArchived(file.archiveId))!;
    copy.locations.push({ uri: 'x', transport: 'x', verifiedAt: 0 });
    copy.columns['object'] = 'changed';
    expect(await catalog.getArchived(file.archiveId)).toEqual(file);
  });

  define('a commit with a stale version stores nothing', async (h) => {
    const transferred = await toTransferred(h.catalog, await inserted(h.catalog, 1), archiveIdOf(1));
    const stale = commitOf({ ...transferred, version: transferred.version - 1 });
    h.expect(await rejection(() => h.catalog.commitArchived(stale.record, stale.entry, stale.file))).toBe('CONFLICT');
    await expectNothingCommitted(h, transferred, archiveIdOf(1));
  });

  define('a commit whose supersede conflicts stores nothing', async (h) => {
    const { record: old, file: oldFile } = await archived(h.catalog, 1);
    const transferred = await toTransferred(h.catalog, await inserted(h.catalog, 2), oldFile.archiveId);
    const commit = commitOf(transferred);
    const stale = transition({ ...old, version: old.version - 1 }, { type: 'SUPERSEDE', by: 'rec-2' }, T0 + 100);
    const result = await rejection(() => h.catalog.commitArchived(commit.record, commit.entry, commit.file, { record: stale.record, entry: stale.entry! }));
    h.expect(result).toBe('CONFLICT');
    await expectNothingCommitted(h, transferred, oldFile.archiveId, oldFile);
    h.expect(await h.catalog.getRecord('rec-1')).toEqual(old);
  });

  define('a commit onto an archive id already held is ARCHIVE_ID_CONFLICT and stores nothing', async (h) => {
    const { file: held } = await archived(h.catalog, 1);
    const transferred = await toTransferred(h.catalog, await inserted(h.catalog, 2), held.archiveId);
    const commit = commitOf(transferred);
    h.expect(await rejection(() => h.catalog.commitArchived(commit.record, commit.entry, commit.file))).toBe('ARCHIVE_ID_CONFLICT');
    await expectNothingCommitted(h, transferred, held.archiveId, held);
  });

  define('a commit with bad keyword columns is INVALID_OPTIONS naming the column, and stores nothing', async (h) => {
    const transferred = await toTransferred(h.catalog, await inserted(h.catalog, 1), archiveIdOf(1));
    for (const [columns, named] of [
      [testcamColumns({ nope: 1 }), 'nope'],
      [testcamColumns({ nframes: 2.5 }), 'nframes'],
      [testcamColumns({ dome_open: 'yes' }), 'dome_open'],
      [testcamColumns({ date_obs: '01/02/24' }), 'date_obs'],
    ] as const) {
      const commit = commitOf(transferred, { columns });
      h.expect(await rejectionNaming(() => h.catalog.commitArchived(commit.record, commit.entry, commit.file), named)).toEqual(['INVALID_OPTIONS', true]);
    }
    const notArchived = { ...commitOf(transferred), record: { ...commitOf(transferred).record, state: 'TRANSFERRED' as const } };
    h.expect(await rejection(() => h.catalog.commitArchived(notArchived.record, notArchived.entry, notArchived.file))).not.toBe(undefined);
    await expectNothingCommitted(h, transferred, archiveIdOf(1));
  });

  define('supersede replaces the archived file in one commit', async ({ catalog, expect }) => {
    const { record: old, file: oldFile } = await archived(catalog, 1);
    const transferred = await toTransferred(catalog, await inserted(catalog, 2, '/data/raw/f1-fixed.fits'), oldFile.archiveId);
    const commit = commitOf(transferred, { sha256: 'new-sha' });
    const superseded = transition(old, { type: 'SUPERSEDE', by: 'rec-2', actor: 'operator:ann' }, T0 + 100);
    await catalog.commitArchived(commit.record, commit.entry, commit.file, { record: superseded.record, entry: superseded.entry! });
    expect(await catalog.getRecord('rec-1')).toEqual(superseded.record);
    expect((await catalog.history('rec-1')).at(-1)).toEqual(superseded.entry);
    expect(await catalog.getRecord('rec-2')).toEqual(commit.record);
    expect(await catalog.getArchived(oldFile.archiveId)).toEqual(commit.file);
    expect(await catalog.findArchived({})).toEqual([commit.file]);
    expect(await catalog.findArchived({ sha256: oldFile.sha256 })).toEqual([]);
    expect((await catalog.counts()).SUPERSEDED).toBe(1);
  });

  define('every version keeps its own locations; only a superseded one can be pruned, in its history', async ({ catalog, expect }) => {
    if (!catalog.archivedVersions || !catalog.pruneVersion) return; // optional methods: nothing to check
    const { record: old, file: oldFile } = await archived(catalog, 1);
    const transferred = await toTransferred(catalog, await inserted(catalog, 2, '/data/raw/f1-fixed.fits'), oldFile.archiveId);
    const commit = commitOf(transferred, { sha256: 'new-sha', locations: [{ uri: '/archive/versions/v2.fits', transport: 'filesystem', verifiedAt: T0 }] });
    const superseded = transition(old, { type: 'SUPERSEDE', by: 'rec-2', actor: 'operator:ann' }, T0 + 100);
    await catalog.commitArchived(commit.record, commit.entry, commit.file, { record: superseded.record, entry: superseded.entry! });
    const versions = await catalog.archivedVersions(oldFile.archiveId);
    expect(versions.map((v) => [v.recordId, v.sha256, v.locations.map((l) => l.uri)])).toEqual([
      ['rec-1', oldFile.sha256, oldFile.locations.map((l) => l.uri)],
      ['rec-2', 'new-sha', ['/archive/versions/v2.fits']],
    ]);
    const current = transition({ ...commit.record, state: 'SUPERSEDED' }, { type: 'PRUNE' }, T0 + 200);
    expect(await rejection(() => catalog.pruneVersion!({ ...current.record, state: 'SUPERSEDED' }, current.entry!))).toBe('ILLEGAL_TRANSITION');
    const pruned = transition(superseded.record, { type: 'PRUNE', actor: 'admin:ana' }, T0 + 300);
    await catalog.pruneVersion(pruned.record, pruned.entry!);
    expect(await catalog.getRecord('rec-1')).toEqual(pruned.record);
    expect((await catalog.history('rec-1')).at(-1)).toEqual(pruned.entry);
    expect((await catalog.archivedVersions(oldFile.archiveId)).map((v) => v.locations.length)).toEqual([0, 1]);
    expect(await catalog.getArchived(oldFile.archiveId)).toEqual(commit.file);
  });

  define('findArchived filters by every field, by archive id order, with a limit', async ({ catalog, expect }) => {
    const { file: raw } = await archived(catalog, 1, () => ({ program: 'C123' }), '2024-01-01');
    await archived(catalog, 2, () => ({ program: 'C456' }), '2024-01-02');
    await archived(catalog, 3, () => ({ level: 1, parents: [raw.archiveId], program: 'C456' }), '2024-01-02');
    await archived(catalog, 4, () => ({ instrument: 'Other-Cam', columns: { filter: 'R' } }), '2024-01-03');
    const [a1, a2, a3, a4] = [archiveIdOf(1), archiveIdOf(2), archiveIdOf(3), archiveIdOf(4)];
    expect(await archiveIds(catalog, {})).toEqual([a1, a2, a3, a4]);
    expect(await archiveIds(catalog, { limit: 2 })).toEqual([a1, a2]);
    expect(await archiveIds(catalog, { archiveIds: [a4, a2, 'nope'] })).toEqual([a2, a4]);
    expect(await archiveIds(catalog, { instrument: 'Other-Cam' })).toEqual([a4]);
    expect(await archiveIds(catalog, { instrument: 'TESTCAM', program: 'C456' })).toEqual([a2, a3]);
    expect(await archiveIds(catalog, { level: 1 })).toEqual([a3]);
    expect(await archiveIds(catalog, { level: 0, nightFrom: '2024-01-02' })).toEqual([a2, a4]);
    expect(await archiveIds(catalog, { nightTo: '2024-01-01' })).toEqual([a1]);
    expect(await archiveIds(catalog, { nightFrom: '2024-01-02', nightTo: '2024-01-02' })).toEqual([a2, a3]);
    expect(await archiveIds(catalog, { parent: a1 })).toEqual([a3]);
    expect(await archiveIds(catalog, { sha256: 'sha-rec-2' })).toEqual([a2]);
    expect(await archiveIds(catalog, { sourceSha256: 'src-rec-4' })).toEqual([a4]);
    expect(await archiveIds(catalog, { instrument: 'Other-Cam', where: [{ column: 'filter', op: '=', value: 'R' }] })).toEqual([a4]);
  });

  define('findArchived where: every operator on keyword columns of every type', async ({ catalog, expect }) => {
    await archived(catalog, 1, () => ({ columns: testcamColumns() }));
    await archived(catalog, 2, () => ({
      columns: testcamColumns({ object: 'm33 field', exptime: 120, nframes: 1, dome_open: false, date_obs: '2024-01-02', date_beg: '2024-01-02T01:00:00' }),
    }));
    await archived(catalog, 3, () => ({
      columns: { object: null, exptime: null, nframes: null, dome_open: null, date_obs: null, date_beg: null, koaimtyp: 'bias' },
    }));
    await archived(catalog, 4, () => ({ columns: { koaimtyp: 'dark' } }));
    const [a1, a2, a3, a4] = [archiveIdOf(1), archiveIdOf(2), archiveIdOf(3), archiveIdOf(4)];
    const cases: [ColumnPredicate[], string[]][] = [
      [[{ column: 'object', op: '=', value: 'M31' }], [a1]],
      [[{ column: 'object', op: '!=', value: 'M31' }], [a2]],
      [[{ column: 'object', op: 'like', value: 'm3%' }], [a1, a2]],
      [[{ column: 'object', op: 'like', value: 'M3_' }], [a1]],
      [[{ column: 'object', op: 'like', value: '%FIELD' }], [a2]],
      [[{ column: 'object', op: 'in', value: ['M31', 'x'] }], [a1]],
      [[{ column: 'object', op: 'null' }], [a3, a4]],
      [[{ column: 'object', op: 'not-null' }], [a1, a2]],
      [[{ column: 'exptime', op: '>', value: 30.5 }], [a2]],
      [[{ column: 'exptime', op: '>=', value: 30.5 }], [a1, a2]],
      [[{ column: 'exptime', op: '<', value: 100 }], [a1]],
      [[{ column: 'exptime', op: '<=', value: 120 }], [a1, a2]],
      [[{ column: 'nframes', op: '=', value: 4 }], [a1]],
      [[{ column: 'nframes', op: 'in', value: [1, 4] }], [a1, a2]],
      [[{ column: 'nframes', op: '<', value: 1.5 }], [a2]],
      [[{ column: 'dome_open', op: '=', value: true }], [a1]],
      [[{ column: 'dome_open', op: '=', value: false }], [a2]],
      [[{ column: 'dome_open', op: 'null' }], [a3, a4]],
      [[{ column: 'date_obs', op: '>=', value: '2024-01-02' }], [a2]],
      [[{ column: 'date_obs', op: 'like', value: '2024-01-%' }], [a1, a2]],
      [[{ column: 'date_beg', op: '<', value: '2024-01-02' }], [a1]],
      [[{ column: 'koaimtyp', op: 'in', value: ['bias', 'dark'] }], [a3, a4]],
      [[{ column: 'exptime', op: '>', value: 10 }, { column: 'dome_open', op: '=', value: false }], [a2]],
    ];
    for (const [where, expected] of cases) {
      expect({ where, found: await archiveIds(catalog, { instrument: 'TESTCAM', where }) }).toEqual({ where, found: expected });
    }
  });

  define('findArchived where: common fields; bad predicates are INVALID_OPTIONS naming the column', async ({ catalog, expect }) => {
    await archived(catalog, 1, () => ({ program: 'C123' }), '2024-01-01');
    await archived(catalog, 2, () => ({ program: undefined }), '2024-01-02');
    const [a1, a2] = [archiveIdOf(1), archiveIdOf(2)];
    expect(await archiveIds(catalog, { where: [{ column: 'program', op: '=', value: 'C123' }] })).toEqual([a1]);
    expect(await archiveIds(catalog, { where: [{ column: 'program', op: 'null' }] })).toEqual([a2]);
    expect(await archiveIds(catalog, { where: [{ column: 'night', op: '>', value: '2024-01-01' }] })).toEqual([a2]);
    expect(await archiveIds(catalog, { where: [{ column: 'archiveId', op: 'like', value: 'tc.2024%' }] })).toEqual([a1, a2]);
    expect(await archiveIds(catalog, { where: [{ column: 'size', op: '>=', value: 5760 }, { column: 'level', op: '=', value: 0 }] })).toEqual([a1, a2]);
    const bad = (column: string, op: ColumnPredicate['op'], value?: ColumnPredicate['value'], instrument?: string) =>
      rejectionNaming(() => catalog.findArchived({ ...(instrument ? { instrument } : {}), where: [{ column, op, value }] }), column);
    expect(await bad('nope', '=', 1, 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('nope', '=', 1)).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('exptime', '>', 1)).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('exptime', '>', 'high', 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('exptime', 'like', '1%', 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('object', '=', null, 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('object', 'in', [], 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('object', '=', ['a'], 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('object";DROP TABLE records;--', '=', 'x', 'TESTCAM')).toEqual(['INVALID_OPTIONS', true]);
    expect(await bad('filter', '=', 'R', 'NOCAM')).toEqual(['INVALID_OPTIONS', true]);
  });

  define('addLocation adds a copy, or refreshes one already known', async ({ catalog, expect }) => {
    const { file } = await archived(catalog, 1);
    const tape = { uri: 'tape://VOL042/TC.fits', transport: 'media', verifiedAt: T0 + 1000 };
    await catalog.addLocation(file.archiveId, tape);
    expect((await catalog.getArchived(file.archiveId))!.locations).toEqual([...file.locations, tape]);
    const reverified = { ...file.locations[0]!, verifiedAt: T0 + 2000 };
    await catalog.addLocation(file.archiveId, reverified);
    expect((await catalog.getArchived(file.archiveId))!.locations).toEqual([reverified, tape]);
    expect(await rejection(() => catalog.addLocation('nope', tape))).toBe('NOT_FOUND');
  });

  define('setReleaseDate moves the stored release date of every version of an archive id, and listings filter on it', async ({ catalog, expect }) => {
    const { file } = await archived(catalog, 1);
    const { file: other } = await archived(catalog, 2);
    await catalog.setReleaseDate(file.archiveId, '2031-01-01');
    expect((await catalog.getArchived(file.archiveId))!.releaseDate).toBe('2031-01-01');
    expect((await catalog.getArchived(other.archiveId))!.releaseDate).toBe(other.releaseDate);
    const due = await catalog.findArchived({ where: [{ column: 'releaseDate', op: '<=', value: '2030-12-31' }] });
    expect(due.map((f) => f.archiveId)).toEqual([other.archiveId]);
    expect(await rejection(() => catalog.setReleaseDate('nope', '2031-01-01'))).toBe('NOT_FOUND');
  });

  define('markVerified refreshes one copy of a record, current or superseded, and nothing else', async ({ catalog, expect }) => {
    if (!catalog.markVerified) return expect(catalog.markVerified).toBeUndefined();
    const { file } = await archived(catalog, 1);
    const tape = { uri: 'tape://VOL042/TC.fits', transport: 'media', verifiedAt: T0 + 1000 };
    await catalog.addLocation(file.archiveId, tape);
    expect(await catalog.markVerified(file.recordId, tape.uri, T0 + 5000)).toBe(true);
    expect((await catalog.getArchived(file.archiveId))!.locations).toEqual([...file.locations, { ...tape, verifiedAt: T0 + 5000 }]);
    expect(await catalog.markVerified(file.recordId, 'tape://nowhere', T0 + 6000)).toBe(false);
    expect(await catalog.markVerified('rec-none', tape.uri, T0 + 6000)).toBe(false);
    expect((await catalog.getArchived(file.archiveId))!.locations).toEqual([...file.locations, { ...tape, verifiedAt: T0 + 5000 }]);
  });

  define('importArchived stores an archived file that was never ingested, with one history entry', async ({ catalog, expect }) => {
    const { file: held } = await archived(catalog, 1);
    const { record, entry, file } = imported(50);
    await catalog.importArchived(record, entry, file);
    expect(await catalog.getRecord(record.id)).toEqual(record);
    expect(await catalog.history(record.id)).toEqual([entry]);
    expect(await catalog.getArchived(file.archiveId)).toEqual(file);
    expect(await archiveIds(catalog, { instrument: 'TESTCAM', where: [{ column: 'object', op: '=', value: 'M31' }] })).toEqual([held.archiveId, file.archiveId]);
    expect((await catalog.counts()).ARCHIVED).toBe(2);
    const again = imported(51, held.archiveId);
    expect(await rejection(() => catalog.importArchived(again.record, again.entry, again.file))).toBe('ARCHIVE_ID_CONFLICT');
    const sameId = imported(50, archiveIdOf(52));
    expect(await rejection(() => catalog.importArchived(sameId.record, sameId.entry, sameId.file))).toBe('CONFLICT');
    const detected = imported(53);
    const notArchived = { ...detected.record, state: 'DETECTED' as const };
    expect(await rejection(() => catalog.importArchived(notArchived, { ...detected.entry, to: 'DETECTED' }, detected.file))).toBe('ILLEGAL_TRANSITION');
    expect(await catalog.getRecord('rec-51')).toBeUndefined();
    expect(await catalog.getRecord('rec-53')).toBeUndefined();
    expect(await catalog.getArchived(archiveIdOf(52))).toBeUndefined();
  });

  define('a location on removable media keeps its placement (volume, copy, member, offset, serial)', async ({ catalog, expect }) => {
    const { file } = await archived(catalog, 1);
    const medium = { volume: 'FI000042', copy: 2, member: 7, offset: 1_234_432, serial: 9001 };
    const copy2 = { uri: '/media/d2/FI000042.c2.tar#x.fits', transport: 'media', verifiedAt: T0 + 1000, medium };
    await catalog.addLocation(file.archiveId, copy2);
    expect((await catalog.getArchived(file.archiveId))!.locations).toEqual([...file.locations, copy2]);
    const moved = { ...copy2, medium: { ...medium, offset: 512, member: 2 }, verifiedAt: T0 + 2000 };
    await catalog.addLocation(file.archiveId, moved);
    expect((await catalog.findArchived({ archiveIds: [file.archiveId] }))[0]!.locations).toEqual([...file.locations, moved]);
  });
}
