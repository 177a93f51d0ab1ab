/**
 * A second process on a SQLite catalog, for the multi-process tests. Run with `node --import tsx`; the argument is
 * JSON: `{ mode, path, ... }`. Prints one JSON line per unit of work done (after it is committed).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { transition } from '../../../src/core/lifecycle/transition.js';
import {
  CONFORMANCE_INSTRUMENTS,
  archivedFileOf,
  archiveIdOf,
  inserted,
  newRecord,
  toTransferred,
} from '../../../src/testing/_catalog-fixtures.js';

interface Args {
  mode: 'commit-loop' | 'claim-loop' | 'insert-loop';
  path: string;
  owner?: string;
  /** First record number (commit-loop) or number of sources (insert-loop). */
  start?: number;
  count?: number;
  synchronous?: 'full' | 'normal';
  /**
   * Start barrier, so that several children really run at once however long each takes to start: the child creates
   * `<go>.<owner>.ready` once its catalog is open, then waits for the file `go` to exist.
   */
  go?: string;
}

const args = JSON.parse(process.argv[2]!) as Args;
const catalog = createSqliteCatalog({
  path: args.path,
  instruments: CONFORMANCE_INSTRUMENTS,
  busyTimeoutMs: 20_000,
  synchronous: args.synchronous ?? 'full',
});
await catalog.init();
if (args.go !== undefined) {
  writeFileSync(`${args.go}.${args.owner}.ready`, '');
  while (!existsSync(args.go)) await new Promise((resolve) => setTimeout(resolve, 2));
}
const say = (line: unknown): boolean => process.stdout.write(`${JSON.stringify(line)}\n`);

if (args.mode === 'commit-loop') {
  // Runs until killed: every printed number is a committed ARCHIVED record.
  for (let n = args.start ?? 1; ; n++) {
    const transferred = await toTransferred(catalog, await inserted(catalog, n), archiveIdOf(n));
    const { record, entry } = transition(transferred, { type: 'ARCHIVED' }, transferred.updatedAt + 1);
    await catalog.commitArchived(record, entry!, archivedFileOf(transferred));
    say(n);
  }
} else if (args.mode === 'claim-loop') {
  for (;;) {
    const claimed = await catalog.claim({ owner: args.owner!, now: 1, leaseMs: 1e15, limit: 3 });
    if (claimed.length === 0) break;
    // Finish the work (a final state), or this owner would get the same records back.
    for (const r of claimed) {
      const done = transition(r, { type: 'INVALID', error: { code: 'NOT_FITS', kind: 'invalid', message: args.owner! } }, 2);
      await catalog.updateRecord(done.record, done.entry);
    }
    say(claimed.map((r) => r.id));
    // A real worker does its file work between claims; without this gap one process can hold SQLite's (unfair)
    // write lock from first claim to last and the others never get a turn.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
} else {
  for (let i = 0; i < (args.count ?? 100); i++) {
    const { record, entry } = newRecord(i, `/data/raw/race-${i}.fits`);
    const mine = { ...record, id: `${args.owner}-${i}` };
    const result = await catalog.insertRecord(mine, { ...entry, recordId: mine.id });
    say({ source: mine.source, inserted: result.inserted, id: result.record.id });
  }
}
await catalog.close();
