/**
 * Group commit is exactly once: the ingesting process is killed (SIGKILL) at the two instants group commit adds —
 * after a batch's archived copies are flushed but before the catalog transaction that commits them, and after
 * that transaction reached the WAL but before the WAL was flushed — through the SQLite catalog's test hook
 * `FITS_INGEST_TEST_KILL`. After a restart every file is ARCHIVED exactly once with its whole history, the archive
 * tree and the catalog list the same files, and no temp or staged file remains.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { builtinInstruments, verifyFile } from '../../src/index.js';
import { crashFolders, listAll, runCrashWorker, sha } from './_tree.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-group-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCrashWorker;

/** Files of `root`'s archive tree (no catalog, no staging). */
const archivedCopies = (root: string): string[] => listAll(root).filter((f) => f.endsWith('.fits') && !f.includes('/.staging/'));

describe('group commit under SIGKILL', () => {
  for (const point of ['before-commit', 'before-flush'] as const) {
    it(`archives every file exactly once when killed ${point === 'before-commit' ? 'between the copies\' flush and the catalog commit' : 'between the catalog commit and its flush'}`, async () => {
      const { incoming, archive, staging, originals } = crashFolders(join(dir, point), 24, [200, 200], true);
      const instruments = builtinInstruments();
      const catalogPath = join(archive, 'catalog.sqlite');

      // Killed at the batch holding the 5th, then (in the next run) the 12th commit, then finishing.
      let sawUncommittedCopies = false;
      for (const at of [5, 12]) {
        const killed = await run([incoming, archive, staging], { FITS_INGEST_TEST_KILL: `${point}:${at}` });
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        const catalog = createSqliteCatalog({ path: catalogPath, instruments: [...instruments] });
        await catalog.init();
        const listed = new Set((await catalog.findArchived({ limit: 1000 })).flatMap((f) => f.locations.map((l) => l.uri)));
        await catalog.close();
        const copies = archivedCopies(archive);
        if (point === 'before-commit') {
          // The kill landed after the copies were flushed and before their commit: some copies are not listed yet.
          if (copies.some((c) => !listed.has(c))) sawUncommittedCopies = true;
        } else {
          // Committed to the WAL before the kill: a killed process loses nothing the WAL holds.
          for (const uri of listed) expect(copies).toContain(uri);
        }
      }
      if (point === 'before-commit') expect(sawUncommittedCopies).toBe(true);

      const finished = await run([incoming, archive, staging], {});
      expect(finished.code, finished.stderr).toBe(0);

      const catalog = createSqliteCatalog({ path: catalogPath, instruments: [...instruments] });
      await catalog.init();
      const counts = await catalog.counts();
      expect(Object.entries(counts).filter(([, n]) => n > 0)).toEqual([['ARCHIVED', originals.size]]);
      const archived = await catalog.findArchived({ limit: 1000 });
      expect(archived.map((f) => f.originalName).sort()).toEqual([...originals.keys()].sort());
      // Exactly once: one catalog row per file, one copy per row, and the archive tree holds exactly those.
      expect(archivedCopies(archive).sort()).toEqual(archived.map((f) => f.locations[0]!.uri).sort());
      for (const file of archived) {
        expect(file.locations).toHaveLength(1);
        expect(sha(readFileSync(file.locations[0]!.uri))).toBe(file.sha256);
        expect((await verifyFile(file.locations[0]!.uri)).ok).toBe(true);
        // Its whole history: from nothing through every step to ARCHIVED, each entry starting where the last ended.
        const history = await catalog.history(file.recordId);
        expect(history[0]!.from).toBeNull();
        expect(history.at(-1)!.to).toBe('ARCHIVED');
        for (let i = 1; i < history.length; i++) expect(history[i]!.from).toBe(history[i - 1]!.to);
        for (const state of ['DETECTED', 'STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED']) expect(history.map((h) => h.to)).toContain(state);
      }
      await catalog.close();

      const leftovers = listAll(archive).filter((f) => /\.tmp($|-)|\.part$|journal/.test(f) || f.startsWith(staging));
      expect(leftovers).toEqual([]);
      const night = join(archive, 'KCWI', '20261120');
      expect(existsSync(join(night, 'MANIFEST.sha256'))).toBe(true);
      expect(readFileSync(join(night, 'MANIFEST.sha256'), 'utf8').trim().split('\n')).toHaveLength(originals.size);
      execFileSync('sha256sum', ['--strict', '-c', 'MANIFEST.sha256'], { cwd: night, stdio: 'ignore' });
      for (const [name, digest] of originals) expect(sha(readFileSync(join(incoming, name)))).toBe(digest);
    }, 180_000);
  }
});
