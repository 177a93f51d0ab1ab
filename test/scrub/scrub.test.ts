/** The scrub library on a real archive: rate cap, persistent cursor, yielding to ingestion, alerts, coverage. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import type { Catalog } from '../../src/core/ports/catalog.js';
import type { Notification, Notifier } from '../../src/core/ports/notifier.js';
import { systemClock } from '../../src/io/system-clock.js';
import { fileCursor, parseDuration, parseRate, scrub, scrubCoverage } from '../../src/scrub/index.js';
import { ingestedArchive } from '../helpers/frames.js';

let dir: string;
let archive: string;
let catalog: Catalog;
let total: number;

beforeAll(async () => {
  ({ dir, archive } = await ingestedArchive('fits-scrub-', 8, Date.UTC(2026, 10, 22, 4, 0, 0)));
  catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite') });
  await catalog.init();
  total = (await catalog.findArchived({})).reduce((n, f) => n + f.size, 0);
});
afterAll(async () => {
  await catalog.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scrub', () => {
  it('parses rates and durations, and refuses nonsense', () => {
    expect(parseRate('200MB/s')).toBe(200e6);
    expect(parseRate('50MiB/s')).toBe(50 * 1024 ** 2);
    expect(parseRate('1.5G')).toBe(1.5e9);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(() => parseRate('fast')).toThrow(/INVALID_OPTIONS/);
    expect(() => parseDuration('1 fortnight')).toThrow(/INVALID_OPTIONS/);
  });

  it('holds the rate cap within ±10% over a run on the real clock', async () => {
    const rate = Math.round(total / 3); // about 3 s for the whole archive
    const started = performance.now();
    const report = await scrub({ catalog, rate, clock: systemClock });
    const seconds = (performance.now() - started) / 1000;
    expect(report.bytes).toBe(total);
    expect(report.problems).toEqual([]);
    const measured = report.bytes / seconds;
    // Never above the cap; below it only by what a loaded machine takes to read (a helper's run under load 20
    // measured 0.89). The ±10% over 30 s is measured by `npm run bench -- scrub` (ratecap).
    expect(measured / rate).toBeGreaterThan(0.75);
    expect(measured / rate).toBeLessThan(1.1);
  }, 20_000);

  it('stops at --for and continues from its cursor in the next run; a restart re-reads nothing already checked', async () => {
    const cursorPath = join(dir, 'cursor.json');
    const ids = (await catalog.findArchived({})).map((f) => f.archiveId);
    const first = await scrub({ catalog, rate: total / 2, forMs: 700, cursor: fileCursor(cursorPath) });
    expect(first.complete).toBe(false);
    expect(first.files).toBeGreaterThan(0);
    expect(first.files).toBeLessThan(ids.length);
    const saved = JSON.parse(readFileSync(cursorPath, 'utf8')) as { after: string; pass: number };
    expect(saved).toMatchObject({ pass: 0, after: ids[first.files - 1] });
    const second = await scrub({ catalog, cursor: fileCursor(cursorPath) });
    expect(second.complete).toBe(true);
    // Only the rest of the pass: nothing the first run checked is read again.
    expect(second.files).toBe(ids.length - first.files);
    expect(second.bytes + first.bytes).toBe(total);
    expect(second.cursor).toMatchObject({ pass: 1, after: '' });
    const third = await scrub({ catalog, cursor: fileCursor(cursorPath) });
    expect(third).toMatchObject({ files: ids.length, bytes: total, complete: true, cursor: { pass: 2, after: '' } });
  }, 20_000);

  it('waits while ingestion is busy and reads nothing meanwhile', async () => {
    const busyUntil = Date.now() + 600;
    let bytesWhileBusy = 0;
    let bytes = 0;
    const report = await scrub({
      catalog,
      busyPollMs: 50,
      isBusy: () => Date.now() < busyUntil,
      onProgress: (p) => {
        if (Date.now() < busyUntil) bytesWhileBusy = p.bytes;
        bytes = p.bytes;
      },
    });
    expect(report.pausedMs).toBeGreaterThanOrEqual(500);
    expect(bytesWhileBusy).toBe(0);
    expect(bytes).toBe(total);
  });

  it('alerts the operators once per kind per window, the next alert counting the ones held back; the oldest verification is honest', async () => {
    const sent: Notification[] = [];
    const notifier: Notifier = { name: 'test', capabilities: { addressed: false }, send: async (n) => void sent.push(n) };
    const files = await catalog.findArchived({});
    const saved = files.slice(0, 3).map((f) => readFileSync(f.locations[0]!.uri));
    for (const f of files.slice(0, 3)) writeFileSync(f.locations[0]!.uri, Buffer.concat([readFileSync(f.locations[0]!.uri), Buffer.alloc(2880)]));
    // One copy last verified long ago: the coverage figure names it.
    const old = Date.UTC(2020, 0, 1);
    await catalog.markVerified!(files[7]!.recordId, files[7]!.locations[0]!.uri, old);
    const report = await scrub({ catalog, notifiers: [notifier], alertThrottleMs: 3_600_000, forMs: 60_000, coverageDays: 30 });
    files.slice(0, 3).forEach((f, i) => writeFileSync(f.locations[0]!.uri, saved[i]!));
    expect(report.problems.map((p) => p.problem)).toEqual(['CORRUPT', 'CORRUPT', 'CORRUPT']);
    expect(report.lost).toEqual(files.slice(0, 3).map((f) => f.archiveId)); // one copy each, all bad
    expect(sent.map((n) => [n.kind, n.data['problem']])).toEqual([['scrub-alert', 'CORRUPT'], ['scrub-alert', 'LOST']]);
    expect(report.alerts).toEqual({ sent: 2, held: 4 });
    // The run re-verified files[7]: the oldest verification is now this run's.
    expect(report.coverage.oldestVerifiedAt).toBeGreaterThan(old);
    expect(report.coverage.stale).toBe(0);
    await catalog.markVerified!(files[7]!.recordId, files[7]!.locations[0]!.uri, old);
    expect(await scrubCoverage(catalog, Date.now(), 30)).toMatchObject({ oldestVerifiedAt: old, oldestUri: files[7]!.locations[0]!.uri, stale: 1 });
  });
});
