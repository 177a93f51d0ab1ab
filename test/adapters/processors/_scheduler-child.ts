/**
 * One scheduler process for the crash test: opens the archive (SQLite catalog and processing store in one file),
 * starts the processing service with the example pipeline (after `delay` seconds of sleep, so the test can kill
 * it mid-job), and exits once every request is finished. Args: JSON { archive, areas, counter, delay }.
 */
import { join } from 'node:path';
import { ingestorFromOptions } from '../../../src/cli/_run-ingestor.js';
import { createSqliteProcessingStore } from '../../../src/adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../../../src/adapters/processors/command.js';
import { areasUnder } from '../../../src/processing/areas.js';
import { createProcessingService } from '../../../src/processing/service.js';
import { PIPELINE } from './_archive.js';

const { archive, areas, counter, delay } = JSON.parse(process.argv[2]!) as { archive: string; areas: string; counter: string; delay: number };
const { ingestor } = await ingestorFromOptions({ archive }, { stability: { quietMs: 0, settleMs: 0 } });
await ingestor.start();
const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
await store.init();
const processor = createCommandProcessor({
  name: 'imager_reduce', version: '1.0',
  command: ['/bin/sh', '-c', `echo run >> '${counter}'; sleep ${delay}; exec /usr/bin/python3 '${PIPELINE}' "$1"`, 'sh'],
});
const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(areas, 1), pollMs: 50 });
await service.start();
process.stdout.write('started\n');
for (;;) {
  const open = await store.findRequests({ states: ['QUEUED', 'RUNNING'] });
  if (open.length === 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
await service.stop();
await store.close();
await ingestor.stop();
await ingestor.catalog.close();
process.stdout.write('finished\n');
