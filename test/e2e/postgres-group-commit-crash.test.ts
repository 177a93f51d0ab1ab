/**
 * Batched commits on PostgreSQL are exactly once: the ingesting process is killed (SIGKILL) at the two instants
 * batching adds — once every write of a batch ran inside its transaction but before COMMIT was sent (the server
 * rolls the whole batch back), and once COMMIT returned but before any caller heard of it — through the catalog's
 * test hook `FITS_INGEST_TEST_KILL`. After a restart every file is ARCHIVED exactly once with its whole history,
 * the archive tree and the catalog list the same files, and no temp or staged file remains.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCatalog } from '../../src/adapters/catalogs/postgres.js';
import { builtinInstruments } from '../../src/index.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { crashFolders, listAll, runCrashWorker, sha } from './_tree.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-pg-group-crash-'));
let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const run = runCrashWorker;

describe('batched commits on PostgreSQL under SIGKILL', () => {
  for (const point of ['before-commit', 'before-flush'] as const) {
    it(`archives every file exactly once when killed ${point === 'before-commit' ? 'before a batch\'s COMMIT' : 'after a batch\'s COMMIT, before its callers hear of it'}`, async () => {
      const url = await server.createDatabase(`crash_${point.replace('-', '_')}`);
      const { incoming, archive, staging, originals } = crashFolders(join(dir, point), 20, [160, 160]);
      const env = { CRASH_CATALOG_URL: url };
      const instruments = builtinInstruments();
      const catalog = createPostgresCatalog({ connectionString: url, instruments: [...instruments] });

      // Killed at the batch holding the 4th, then (in the next run) the 10th commit of that run, then finishing.
      let archivedBefore = 0;
      for (const at of [4, 10]) {
        const killed = await run([incoming, archive, staging], { ...env, FITS_INGEST_TEST_KILL: `${point}:${at}` });
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        await catalog.init();
        const archivedNow = (await catalog.counts()).ARCHIVED;
        // before-commit: the server rolled back the whole batch holding commit `at`; before-flush: it is committed.
        if (point === 'before-commit') expect(archivedNow).toBeLessThan(archivedBefore + at);
        else expect(archivedNow).toBeGreaterThanOrEqual(archivedBefore + at);
        archivedBefore = archivedNow;
        await catalog.close();
      }
      const finished = await run([incoming, archive, staging], env);
      expect(finished.code, finished.stderr).toBe(0);

      await catalog.init();
      const counts = await catalog.counts();
      expect(Object.entries(counts).filter(([, n]) => n > 0)).toEqual([['ARCHIVED', originals.size]]);
      const archived = await catalog.findArchived({ limit: 1000 });
      expect(archived.map((f) => f.originalName).sort()).toEqual([...originals.keys()].sort());
      // Exactly once: one catalog row per file, one copy per row, and the archive tree holds exactly those.
      const copies = listAll(archive).filter((f) => f.endsWith('.fits') && !f.startsWith(staging));
      expect(copies.sort()).toEqual(archived.map((f) => f.locations[0]!.uri).sort());
      for (const file of archived) {
        expect(sha(readFileSync(file.locations[0]!.uri))).toBe(file.sha256);
        const history = await catalog.history(file.recordId);
        expect(history[0]!.from).toBeNull();
        expect(history.at(-1)!.to).toBe('ARCHIVED');
        expect(history.filter((h) => h.to === 'ARCHIVED')).toHaveLength(1);
        for (let i = 1; i < history.length; i++) expect(history[i]!.from).toBe(history[i - 1]!.to);
      }
      const events = await catalog.events!({ kinds: ['archived'], limit: 1000 });
      expect(events.events).toHaveLength(originals.size);
      await catalog.close();
      expect(listAll(archive).filter((f) => /\.tmp($|-)|\.part$|journal/.test(f) || f.startsWith(staging))).toEqual([]);
      for (const [name, digest] of originals) expect(sha(readFileSync(join(incoming, name)))).toBe(digest);
    }, 180_000);
  }
});
