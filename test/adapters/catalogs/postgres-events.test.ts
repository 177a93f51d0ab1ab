import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCatalog } from '../../../src/adapters/catalogs/postgres.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { CONFORMANCE_INSTRUMENTS, archived } from '../../../src/testing/_catalog-fixtures.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres | undefined;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => server?.stop());

describe('PostgreSQL event log: several hosts committing at once', () => {
  it('a reader following the cursor while two hosts archive sees every event once, in seq order (no late lower seq)', async () => {
    const url = await server!.createDatabase('events_two_hosts');
    const hosts: Catalog[] = [0, 1, 2].map(() => createPostgresCatalog({ connectionString: url, instruments: CONFORMANCE_INSTRUMENTS, maxConnections: 4 }));
    await Promise.all(hosts.map((c) => c.init()));
    const [a, b, reader] = hosts as [Catalog, Catalog, Catalog];
    let done = false;
    const seen: number[] = [];
    const follow = (async () => {
      let cursor = 0;
      for (let round = 0; round < 100_000; round++) {
        const last = done; // only a read begun after the hosts finished may end the loop
        const page = await reader.events!({ after: cursor, limit: 7 });
        seen.push(...page.events.map((e) => e.seq));
        cursor = page.cursor;
        if (last && page.events.length === 0) return;
      }
    })();
    // Records 1-40 on host a, 41-80 on host b, interleaved, each commit its own transaction.
    await Promise.all([
      (async () => { for (let n = 1; n <= 40; n++) await archived(a, n); })(),
      (async () => { for (let n = 41; n <= 80; n++) await archived(b, n); })(),
    ]);
    done = true;
    await follow;
    const all = (await reader.events!({})).events.map((e) => e.seq);
    expect(all).toHaveLength(80);
    expect(seen, `missing ${all.filter((s) => !seen.includes(s))}, extra ${seen.filter((s, i) => seen.indexOf(s) !== i)}`).toEqual(all);
    await Promise.all(hosts.map((c) => c.close()));
  }, 120_000);
});
