// A writer process for the kill test: writes the archived files of a SQLite catalog that have no media copy yet
// to volumes, and with a pause count prints "paused" after that many items were written and then hangs, so the
// test can SIGKILL it in the middle of a volume. Without one it finishes and prints the report as JSON.
import { createSqliteCatalog } from '../../../../src/adapters/catalogs/sqlite.js';
import { archivedItem, isOnMedia, writeVolumes, type MediaItem } from '../../../../src/adapters/transports/media/index.js';

const [catalogPath, out, pauseAfter] = process.argv.slice(2);
const catalog = createSqliteCatalog({ path: catalogPath! });
await catalog.init();
const files = (await catalog.findArchived({ limit: 100_000 })).filter((f) => !isOnMedia(f));
async function* items(): AsyncGenerator<MediaItem> {
  let n = 0;
  for (const file of files) {
    if (pauseAfter !== undefined && n === Number(pauseAfter)) {
      process.stdout.write('paused\n');
      await new Promise(() => undefined);
    }
    yield archivedItem(file)!;
    n++;
  }
}
const report = await writeVolumes(items(), { out: out!, volumeSize: 40 * 1024, copies: 2, catalog });
process.stdout.write(`${JSON.stringify({ serials: report.items.map((i) => i.serial), discarded: report.discarded, failed: report.failed.length })}\n`);
await catalog.close();
