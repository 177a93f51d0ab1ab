// A live-ingest process for the media transport's kill test: an ingestor on <archive> (SQLite catalog, filesystem
// transport) with the untended media transport following it, sending index messages to <url>. It ingests the
// frames of <src> one at a time. With a pause count it prints "paused" once that many frames are archived and the
// open volume holds members, then hangs so the test can SIGKILL it mid-volume. Without one it ingests everything,
// closes the open volume (end of night), delivers the messages and prints a JSON summary.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createMediaTransport, httpIndexSender, type WrittenVolume } from '../../../../src/adapters/transports/media/index.js';
import { ingestorFromOptions } from '../../../../src/cli/_run-ingestor.js';

const [archive, src, out1, out2, url, secret, pauseAfter] = process.argv.slice(2);
const { ingestor } = await ingestorFromOptions({ archive: archive!, concurrency: '2' });
await ingestor.start();
const volumes: WrittenVolume[] = [];
const media = createMediaTransport({ catalog: ingestor.catalog, out: [out1!, out2!], copies: 2, volumeSize: 100 * 1024, send: httpIndexSender({ url: url!, secret: secret! }), stateDir: archive!, onVolume: (v) => volumes.push(v) });
const started = await media.start();
media.follow(ingestor);
let archived = 0;
for (const name of readdirSync(src!).sort()) {
  const { record } = await ingestor.submit({ path: join(src!, name), trigger: 'test', detectedAt: Date.now(), complete: true });
  await ingestor.settled([record.id]);
  await media.idle();
  archived++;
  if (pauseAfter !== undefined && archived >= Number(pauseAfter) && (media.status().current?.members ?? 0) > 0) {
    process.stdout.write('paused\n');
    await new Promise(() => undefined);
  }
}
await media.idle();
const last = await media.closeVolume();
await media.stop();
const status = media.status();
await ingestor.stop();
await ingestor.catalog.close();
process.stdout.write(`${JSON.stringify({ started, volumes: volumes.map((v) => v.label), last: last?.label, undelivered: status.undelivered, failed: status.failed, error: status.error?.message })}\n`);
