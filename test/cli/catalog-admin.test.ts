/**
 * `fits-ingest catalog migrate` and `fits-ingest catalog copy --from sqlite:… --to postgres://…` on a real server:
 * versions before and after, a copy that answers every query as the source does, refusal of a non-empty target,
 * and no password printed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCatalog } from '../../src/adapters/catalogs/postgres.js';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import type { Catalog } from '../../src/core/ports/catalog.js';
import { PG_MIGRATIONS } from '../../src/adapters/catalogs/_postgres-schema.js';
import { createFilesystemTransport } from '../../src/adapters/transports/filesystem.js';
import { builtinInstruments } from '../../src/instruments/builtin/index.js';
import { createIngestor } from '../../src/ingestor.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

let server: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), 'fits-cli-catalog-admin-'));
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 10, 20, 6, 0, 0);

/** Everything a user can read from a catalog, with nothing that may differ between engines (history seq numbers). */
async function contents(catalog: Catalog): Promise<unknown> {
  await catalog.init();
  const records = await catalog.findRecords({ limit: 10_000 });
  const history = await Promise.all(records.map((r) => catalog.history(r.id)));
  const archived = await catalog.findArchived({ limit: 10_000 });
  const versions = await Promise.all(archived.map((f) => catalog.archivedVersions!(f.archiveId)));
  const kcwi = await catalog.findArchived({ instrument: 'KCWI', where: [{ column: 'camera', op: '=', value: 'BLUE' }] });
  const instruments = await catalog.storedInstruments!({ allVersions: true });
  const out = { counts: await catalog.counts(), records, history, archived, versions, kcwi: kcwi.map((f) => f.archiveId), instruments: instruments.map((i) => [i.name, i.version]) };
  await catalog.close();
  return out;
}

describe('fits-ingest catalog migrate / copy', () => {
  it('migrate prints the schema version before and after, and never the password', async () => {
    const url = await server.createDatabase('migrate_cli');
    const first = await cli('catalog', 'migrate', '--catalog', url);
    expect(first.code, first.stderr).toBe(0);
    const latest = PG_MIGRATIONS.at(-1)!.version;
    expect(first.stdout).toMatch(new RegExp(`schema version 0 -> ${latest} \\(${PG_MIGRATIONS.length} migration\\(s\\) applied\\)`));
    const again = await cli('catalog', 'migrate', '--catalog', url, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.lines[0]!)).toMatchObject({ from: latest, to: latest, applied: 0, catalog: expect.stringContaining('postgres:***@') });
    const sqlite = await cli('catalog', 'migrate', '--catalog', `sqlite:${join(dir, 'none', 'missing.sqlite')}`);
    expect(sqlite.code).toBe(2);
    for (const out of [first, again]) expect(out.stdout + out.stderr).not.toContain(server.password);
  });

  it('copy moves a SQLite catalog (records, history, versions, locations, keywords, instruments) and verifies it; a non-empty target needs --replace', async () => {
    const incoming = join(dir, 'incoming');
    const archive = join(dir, 'archive');
    mkdirSync(incoming, { recursive: true });
    const paths: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const options = { time: new Date(T + n * 61_000), frameNumber: n, axes: [16, 16] as [number, number], camera: n % 2 ? 'BLUE' : 'RED' };
      paths.push(join(incoming, frameName(options)));
      writeFileSync(paths.at(-1)!, makeFrame(options));
    }
    const ingest = await cli('ingest', incoming, '--archive', archive, '--assume-complete');
    expect(ingest.code, ingest.stderr).toBe(0);
    // A reingest: the catalog then holds a superseded version, with its own history and location.
    const options = { time: new Date(T + 61_000), frameNumber: 1, axes: [16, 16] as [number, number], camera: 'BLUE', seed: 99 };
    writeFileSync(paths[0]!, makeFrame(options));
    const sqlitePath = join(archive, 'catalog.sqlite');
    const instruments = builtinInstruments();
    const engine = createIngestor({
      instruments,
      catalog: createSqliteCatalog({ path: sqlitePath, instruments: [...instruments] }),
      transports: [createFilesystemTransport({ root: archive })],
      staging: join(archive, '.staging'),
    });
    await engine.start();
    const { record } = await engine.reingest(paths[0]!);
    expect((await engine.settled([record.id]))[0]!.state).toBe('ARCHIVED');
    await engine.stop();
    await engine.catalog.close();

    const url = await server.createDatabase('copy_cli');
    const copy = await cli('catalog', 'copy', '--from', `sqlite:${sqlitePath}`, '--to', url);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toMatch(/verified: equal row counts in \d+ tables, equal sums for \d+ archived files/);
    expect(copy.stdout).toContain('postgres:***@');
    expect(copy.stdout + copy.stderr).not.toContain(server.password);
    const source = await contents(createSqliteCatalog({ path: sqlitePath }));
    const copied = await contents(createPostgresCatalog({ connectionString: url }));
    expect(copied).toEqual(source);
    expect((source as { counts: { ARCHIVED: number } }).counts.ARCHIVED).toBeGreaterThanOrEqual(4);
    expect((source as { counts: { SUPERSEDED: number } }).counts.SUPERSEDED).toBe(1);

    // The target now holds records: refused (nothing changed), unless --replace.
    const refused = await cli('catalog', 'copy', '--from', `sqlite:${sqlitePath}`, '--to', url);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('CATALOG_NOT_EMPTY');
    expect(refused.stdout + refused.stderr).not.toContain(server.password);
    expect(await contents(createPostgresCatalog({ connectionString: url }))).toEqual(source);
    const replaced = await cli('catalog', 'copy', '--from', `sqlite:${sqlitePath}`, '--to', url, '--replace', '--json');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.lines[0]!).verifiedFiles).toBe((source as { archived: unknown[] }).archived.length + ((source as { counts: { SUPERSEDED: number } }).counts.SUPERSEDED ?? 0));
    expect(await contents(createPostgresCatalog({ connectionString: url }))).toEqual(source);
  }, 60_000);
});
