// One ingesting process for the crash test: archives every file of <incoming> that has no record yet,
// resuming whatever an earlier (killed) process left unfinished, then exits 0. The catalog is SQLite in <archive>,
// or the PostgreSQL database at CRASH_CATALOG_URL when set.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinInstruments, createIngestor } from '../../dist/index.js';
import { createSqliteCatalog } from '../../dist/catalogs/sqlite.js';
import { createPostgresCatalog } from '../../dist/catalogs/postgres.js';
import { createFilesystemTransport } from '../../dist/transports/filesystem.js';

const [incoming, archive, staging] = process.argv.slice(2);
const instruments = builtinInstruments();
const ingestor = createIngestor({
  instruments,
  catalog: process.env.CRASH_CATALOG_URL
    ? createPostgresCatalog({ connectionString: process.env.CRASH_CATALOG_URL, instruments: [...instruments] })
    : createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...instruments] }),
  transports: [createFilesystemTransport({ root: archive })],
  staging,
  owner: 'crash-test',
  concurrency: Number(process.env.CRASH_CONCURRENCY ?? 3),
  tickMs: 10,
  retry: { maxAttempts: 20, baseDelayMs: 10, maxDelayMs: 50 },
});
await ingestor.start();
process.stdout.write('started\n');
const ids = [];
for (const name of readdirSync(incoming).sort()) {
  const path = join(incoming, name);
  const [existing] = await ingestor.catalog.findRecords({ source: path, limit: 1 });
  ids.push(existing ? existing.id : (await ingestor.submit({ path, trigger: 'crash-test', detectedAt: Date.now(), complete: true })).record.id);
}
const records = await ingestor.settled(ids);
await ingestor.stop();
await ingestor.catalog.close();
const bad = records.filter((r) => r.state !== 'ARCHIVED');
if (bad.length) {
  console.error(JSON.stringify(bad.map((r) => [r.source, r.state, r.error])));
  process.exit(1);
}
console.log(`done ${records.length}`);
