import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { keywordTables } from '../../../src/adapters/catalogs/_columns.js';
import { ACTIVE_STATES_V1, MIGRATIONS, migrate, schemaVersion, type Migration } from '../../../src/adapters/catalogs/_sqlite-schema.js';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { isIngestError } from '../../../src/core/errors.js';
import { STATES, isFinal } from '../../../src/core/lifecycle/states.js';
import { CONFORMANCE_INSTRUMENTS, archived, inserted, rejection } from '../../../src/testing/_catalog-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-ingest-sqlite-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newPath = (): string => join(dir, `schema-${++files}.db`);

/** A v1 catalog with an archived file and a pending record, closed. */
async function v1Catalog(path: string): Promise<void> {
  const catalog = createSqliteCatalog({ path, instruments: CONFORMANCE_INSTRUMENTS });
  await catalog.init();
  await archived(catalog, 1);
  await inserted(catalog, 2);
  await catalog.close();
}

/** The version after the latest: a migration the tests add. */
const NEXT = MIGRATIONS.at(-1)!.version + 1;
const v2: Migration = {
  version: NEXT,
  description: 'test: a notes table and a records column',
  up(db) {
    db.exec('CREATE TABLE notes (record_id TEXT REFERENCES records (id), text TEXT); ALTER TABLE records ADD COLUMN priority INTEGER');
    db.exec(`UPDATE records SET priority = CASE state WHEN 'ARCHIVED' THEN 0 ELSE 1 END`);
  },
};

describe('SQLite catalog schema', () => {
  it('the frozen list of active states in migration 1 matches the state machine', () => {
    // A failing test here means a state was added or changed finality: write a migration that rebuilds the
    // records_one_active_per_source and records_work indexes, and a new ACTIVE_STATES_Vn.
    expect([...ACTIVE_STATES_V1]).toEqual(STATES.filter((s) => !isFinal(s)));
  });

  it('a new file is migrated to the latest version, and init is idempotent', async () => {
    const path = newPath();
    const catalog = createSqliteCatalog({ path });
    await catalog.init();
    await catalog.close();
    await catalog.init();
    await catalog.close();
    const db = new Database(path);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.prepare('SELECT version, description FROM schema_migrations').all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, description: m.description })),
    );
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('an older database is migrated in place, keeping its data, once', async () => {
    const path = newPath();
    await v1Catalog(path);
    const db = new Database(path);
    expect(migrate(db, new Map(), [...MIGRATIONS, v2])).toBe(NEXT - 1);
    expect(migrate(db, new Map(), [...MIGRATIONS, v2])).toBe(NEXT);
    expect(schemaVersion(db)).toBe(NEXT);
    expect(db.prepare('SELECT id, state, priority FROM records ORDER BY id').all()).toEqual([
      { id: 'rec-1', state: 'ARCHIVED', priority: 0 },
      { id: 'rec-2', state: 'DETECTED', priority: 1 },
    ]);
    db.close();
  });

  it('a version-1 catalog gains the media placement of its locations and keeps them', async () => {
    const path = newPath();
    const db = new Database(path);
    migrate(db, keywordTables(CONFORMANCE_INSTRUMENTS), MIGRATIONS.slice(0, 1));
    db.close();
    const catalog = createSqliteCatalog({ path, instruments: CONFORMANCE_INSTRUMENTS });
    await catalog.init();
    const { file } = await archived(catalog, 1);
    const medium = { volume: 'FI000001', copy: 1, member: 2, offset: 1536, serial: 1 };
    await catalog.addLocation(file.archiveId, { uri: 'v#m', transport: 'media', verifiedAt: 1, medium });
    expect((await catalog.getArchived(file.archiveId))!.locations.at(-1)).toEqual({ uri: 'v#m', transport: 'media', verifiedAt: 1, medium });
    await catalog.close();
    const reopened = new Database(path);
    expect(schemaVersion(reopened)).toBe(MIGRATIONS.at(-1)!.version);
    reopened.close();
  });

  it('a failing migration rolls back entirely', async () => {
    const path = newPath();
    await v1Catalog(path);
    const db = new Database(path);
    const broken: Migration = { version: NEXT, description: 'broken', up: (d) => { v2.up(d); throw new Error('boom'); } };
    expect(() => migrate(db, new Map(), [...MIGRATIONS, broken])).toThrow('boom');
    expect(schemaVersion(db)).toBe(NEXT - 1);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'notes'`).all()).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM records').get()).toEqual({ n: 2 });
    db.close();
  });

  it('refuses a catalog from a newer fits-ingest, a foreign database and a file that is not a database', async () => {
    const newer = newPath();
    await v1Catalog(newer);
    const db = new Database(newer);
    db.prepare('INSERT INTO schema_migrations VALUES (99, ?, 0)').run('future');
    db.close();
    expect(await rejection(() => createSqliteCatalog({ path: newer }).init())).toBe('CATALOG_UNUSABLE');

    const foreign = newPath();
    const other = new Database(foreign);
    other.exec('CREATE TABLE customers (id INTEGER)');
    other.close();
    expect(await rejection(() => createSqliteCatalog({ path: foreign }).init())).toBe('CATALOG_UNUSABLE');

    const garbage = newPath();
    writeFileSync(garbage, 'this is not a database, it is a text file of some length '.repeat(100));
    expect(await rejection(() => createSqliteCatalog({ path: garbage }).init())).toBe('CATALOG_UNUSABLE');
  });

  it('keyword tables are typed, STRICT, widened when a description gains a column, never retyped', async () => {
    const path = newPath();
    await v1Catalog(path);
    const db = new Database(path);
    expect(db.prepare(`SELECT name, type FROM pragma_table_info('kw_testcam')`).all()).toEqual([
      { name: 'record_id', type: 'TEXT' },
      { name: 'object', type: 'TEXT' },
      { name: 'exptime', type: 'REAL' },
      { name: 'nframes', type: 'INTEGER' },
      { name: 'dome_open', type: 'INTEGER' },
      { name: 'date_obs', type: 'TEXT' },
      { name: 'date_beg', type: 'TEXT' },
      { name: 'koaimtyp', type: 'TEXT' },
    ]);
    expect(db.prepare('SELECT object, exptime, nframes, dome_open FROM kw_testcam').all()).toEqual([
      { object: 'M31', exptime: 30.5, nframes: 4, dome_open: 1 },
    ]);
    expect(() => db.prepare(`UPDATE kw_testcam SET nframes = 'four'`).run()).toThrow(/cannot store TEXT value in INTEGER column/);
    db.close();

    const [testcam, other] = CONFORMANCE_INSTRUMENTS;
    const wider = [{ ...testcam!, keywordTable: [...testcam!.keywordTable, { column: 'airmass', type: 'real' as const }] }, other!];
    const catalog = createSqliteCatalog({ path, instruments: wider });
    await catalog.init();
    const found = await catalog.findArchived({ instrument: 'TESTCAM', where: [{ column: 'airmass', op: 'null' }] });
    expect(found.map((f) => f.recordId)).toEqual(['rec-1']);
    await catalog.close();

    const retyped = [{ ...testcam!, keywordTable: testcam!.keywordTable.map((c) => (c.column === 'nframes' ? { ...c, type: 'string' as const } : c)) }];
    const error = await createSqliteCatalog({ path, instruments: retyped }).init().catch((e: unknown) => e);
    expect(isIngestError(error, 'INVALID_OPTIONS') && error.message).toMatch(/nframes/);
  });

  it('the database itself keeps one active record per source', async () => {
    const path = newPath();
    await v1Catalog(path);
    const db = new Database(path);
    const copy = (id: string, state: string) =>
      db.prepare(`INSERT INTO records SELECT @id, source, original_name, trigger_name, @state, level, parents, instrument, archive_id,
        night, size, mtime_ms, source_sha256, staged, sha256, staged_size, location, attempts, next_attempt_at, resume_from, error,
        warnings, duplicate_of, superseded_by, metadata, created_at, updated_at, version, NULL, NULL FROM records WHERE id = 'rec-2'`).run({ id, state });
    expect(() => copy('dup-active', 'STABLE')).toThrow(/UNIQUE constraint failed: records.source/);
    expect(() => copy('dup-final', 'INVALID')).not.toThrow();
    db.close();
  });

  it('keywordTables indexes instruments by lower-case name', () => {
    const tables = keywordTables([{ name: 'Other-Cam', keywordTable: [{ column: 'filter', type: 'string' }] }]);
    expect(tables.get('other-cam')?.table).toBe('kw_other_cam');
  });
});
