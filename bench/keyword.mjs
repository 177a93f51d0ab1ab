#!/usr/bin/env node
/**
 * Keyword-triggered vs folder-triggered latency (issue 5): 1 MB frames written at a steady pace; the latency of
 * each is measured from "file complete" (the writer's rename) to the ingestor's ARCHIVED event.
 *
 * - keyword: right after the rename the simulated instrument publishes the path on `kbds.LOUTFILE` over ZeroMQ
 *   (127.0.0.1, mKTL style); the keyword trigger (KCWI description) announces it `complete: true`.
 * - filesystem: the folder watcher (chokidar) sees the rename; the runtime waits for `quietMs` of stability.
 *
 * Both use the same ingestor settings (SQLite catalog, filesystem transport, same stability, tick and
 * concurrency); only the trigger differs. Two settings are measured: the library defaults (quietMs 1000,
 * tickMs 50, watcher debounce 250 ms) and tuned for latency (quietMs 200, pollMs 20, tickMs 5, debounce 20 ms).
 * A short keyword run warms up first and is discarded.
 *
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs (reference = the
 * filesystem trigger; ratio < 1 means the keyword trigger is faster).
 */
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BENCH, percentile, watchLatency } from './_watch.mjs';

const SETTINGS = {
  defaults: { engine: {}, debounceMs: 250, note: 'library defaults: quietMs 1000, tickMs 50, watcher debounce 250 ms' },
  tuned: { engine: { stability: { quietMs: 200, pollMs: 20 }, tickMs: 5 }, debounceMs: 20, note: 'tuned: quietMs 200, pollMs 20, tickMs 5, watcher debounce 20 ms' },
};

export async function main({ count = 200, gapMs = 50 } = {}) {
  mkdirSync(BENCH, { recursive: true });
  await watchLatency('keyword', SETTINGS.tuned, { count: 20, gapMs, first: 100_000 }); // warm-up, discarded
  const rows = [];
  let first = 1;
  for (const [label, settings] of Object.entries(SETTINGS)) {
    const fs = await watchLatency('filesystem', settings, { count, gapMs, first });
    const kw = await watchLatency('keyword', settings, { count, gapMs, first: first + count });
    first += 2 * count;
    const note = `${count} frames of 1.05 MB at ${Math.round(1000 / gapMs)}/s; ${settings.note}`;
    for (const p of [50, 99]) {
      rows.push({
        name: `keyword → ARCHIVED p${p} vs filesystem trigger (${label})`,
        value: percentile(kw, p),
        unit: 'ms',
        reference: percentile(fs, p),
        note,
      });
    }
  }
  return rows.map((r) => ({ ...r, ratio: r.value / r.reference }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit} vs ${row.reference.toFixed(1)} → ×${row.ratio.toFixed(2)}  (${row.note})`);
}
