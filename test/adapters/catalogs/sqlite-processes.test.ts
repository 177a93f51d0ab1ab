import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { CONFORMANCE_INSTRUMENTS, inserted } from '../../../src/testing/_catalog-fixtures.js';
import { releaseTogether, spawnChild } from './_spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-ingest-sqlite-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = async (path: string) => {
  const catalog = createSqliteCatalog({ path, instruments: CONFORMANCE_INSTRUMENTS });
  await catalog.init();
  return catalog;
};

describe('SQLite catalog shared by processes', () => {
  it('processes claiming at once never get the same record', async () => {
    const path = join(dir, 'claims.db');
    const catalog = await open(path);
    for (let n = 1; n <= 300; n++) await inserted(catalog, n);
    await catalog.close();
    const go = join(dir, 'claims.go');
    const owners = ['a', 'b', 'c'];
    const children = owners.map((owner) => spawnChild({ mode: 'claim-loop', path, owner, go }));
    await releaseTogether(go, owners.map((owner, i) => ({ owner, child: children[i]! })));
    const codes = await Promise.all(children.map((c) => c.exit));
    expect(codes, children.flatMap((c) => c.stderr).join('')).toEqual([0, 0, 0]);
    const ids = children.flatMap((c) => c.lines.flat() as string[]);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    // The claims really interleaved (SQLite's lock is not fair, so one process may get little or nothing).
    expect(children.filter((c) => c.lines.length > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('processes inserting the same sources at once leave one active record per source', async () => {
    const path = join(dir, 'inserts.db');
    await (await open(path)).close();
    const go = join(dir, 'inserts.go');
    const owners = ['p', 'q'];
    const children = owners.map((owner) => spawnChild({ mode: 'insert-loop', path, owner, count: 200, go }));
    await releaseTogether(go, owners.map((owner, i) => ({ owner, child: children[i]! })));
    expect(await Promise.all(children.map((c) => c.exit))).toEqual([0, 0]);
    const results = children.flatMap((c) => c.lines as { source: string; inserted: boolean; id: string }[]);
    expect(results.filter((r) => r.inserted)).toHaveLength(200);
    const catalog = await open(path);
    const records = await catalog.findRecords({ limit: 10_000 });
    expect(records).toHaveLength(200);
    expect(new Set(records.map((r) => r.source)).size).toBe(200);
    // Every process was told the id that won.
    const winner = new Map(records.map((r) => [r.source, r.id]));
    for (const r of results) expect(r.id).toBe(winner.get(r.source));
    await catalog.close();
  });

  for (const synchronous of ['full', 'normal'] as const) {
    it(`a process killed (SIGKILL) in a loop of commits leaves every commit whole (synchronous ${synchronous})`, async () => {
      const path = join(dir, `killed-${synchronous}.db`);
      await (await open(path)).close();
      const child = spawnChild({ mode: 'commit-loop', path, synchronous });
      await child.linesAtLeast(25);
      child.process.kill('SIGKILL');
      expect(await child.exit).toBe('SIGKILL');
      const committed = child.lines as number[];

      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      // Nothing half-committed: every ARCHIVED record has its file, keyword row, parents' table consistent, and
      // its last history entry says ARCHIVED; no file exists without an ARCHIVED record.
      const orphans = raw
        .prepare(`SELECT count(*) AS n FROM records r LEFT JOIN archived_files a ON a.record_id = r.id
                  WHERE (r.state = 'ARCHIVED') <> (a.record_id IS NOT NULL)`)
        .get() as { n: number };
      expect(orphans.n).toBe(0);
      const lastEntries = raw
        .prepare(`SELECT r.state, (SELECT to_state FROM history h WHERE h.record_id = r.id ORDER BY seq DESC LIMIT 1) AS last FROM records r`)
        .all() as { state: string; last: string }[];
      for (const { state, last } of lastEntries) expect(last).toBe(state);
      const noKeywords = raw
        .prepare('SELECT count(*) AS n FROM archived_files a LEFT JOIN kw_testcam k ON k.record_id = a.record_id WHERE k.record_id IS NULL')
        .get() as { n: number };
      expect(noKeywords.n).toBe(0);
      raw.close();

      const catalog = await open(path);
      for (const n of committed) {
        const record = await catalog.getRecord(`rec-${n}`);
        expect(record?.state).toBe('ARCHIVED');
        expect((await catalog.getArchived(record!.archiveId!))?.recordId).toBe(`rec-${n}`);
      }
      await catalog.close();
    });
  }
});
