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
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinInstrument, builtinInstruments, createIngestor } from '../dist/index.js';
import { createSqliteCatalog } from '../dist/catalogs/sqlite.js';
import { createZeromqKeywordSource } from '../dist/keyword-sources/zeromq.js';
import { createFilesystemTransport } from '../dist/transports/filesystem.js';
import { createFilesystemTrigger } from '../dist/triggers/filesystem.js';
import { createKeywordTrigger } from '../dist/triggers/keyword.js';
import { frameName, makeFrame, startInstrumentKeywords } from '../dist/simulator/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(root, '.bench');
const START = Date.UTC(2026, 10, 20, 6, 0, 0);
/** 724 × 724 16-bit pixels: 1.05 MB per frame. */
const SIDE = 724;

const SETTINGS = {
  defaults: { engine: {}, debounceMs: 250, note: 'library defaults: quietMs 1000, tickMs 50, watcher debounce 250 ms' },
  tuned: { engine: { stability: { quietMs: 200, pollMs: 20 }, tickMs: 5 }, debounceMs: 20, note: 'tuned: quietMs 200, pollMs 20, tickMs 5, watcher debounce 20 ms' },
};

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One run: `count` frames, one every `gapMs`; returns the sorted latencies (ms). */
async function run(trigger, settings, { count, gapMs, first }) {
  const dir = join(BENCH, `keyword-${trigger}`);
  const incoming = join(dir, 'incoming');
  const archive = join(dir, 'archive');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(incoming, { recursive: true });
  mkdirSync(archive, { recursive: true });
  const instruments = builtinInstruments();
  let keywords;
  let triggers;
  if (trigger === 'keyword') {
    keywords = await startInstrumentKeywords();
    const source = createZeromqKeywordSource({ endpoint: keywords.endpoint, requestEndpoint: keywords.requestEndpoint });
    triggers = [createKeywordTrigger({ source, instrument: builtinInstrument('kcwi'), roots: [incoming] })];
  } else {
    triggers = [createFilesystemTrigger({ paths: [incoming], debounceMs: settings.debounceMs })];
  }
  const ingestor = createIngestor({
    instruments,
    catalog: createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...instruments] }),
    triggers,
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(archive, '.staging'),
    ...settings.engine,
  });
  const written = new Map();
  const latencies = [];
  const failures = [];
  const done = new Promise((resolveDone) => {
    const finish = () => latencies.length + failures.length === count && resolveDone();
    ingestor.on('archived', (record) => {
      latencies.push(performance.now() - written.get(record.source));
      finish();
    });
    for (const event of ['invalid', 'duplicate', 'abandoned']) ingestor.on(event, (record) => (failures.push(`${record.source}: ${record.state}`), finish()));
  });
  await ingestor.start();
  if (keywords) await keywords.publisher.waitForSubscriber('kbds.LOUTFILE');
  for (let n = first; n < first + count; n++) {
    const options = { time: new Date(START + n * 61_000 + n * 10), frameNumber: n, camera: 'BLUE', axes: [SIDE, SIDE] };
    const frame = makeFrame(options);
    const path = join(incoming, frameName(options));
    const fd = openSync(`${path}.part`, 'w');
    writeSync(fd, frame);
    closeSync(fd);
    renameSync(`${path}.part`, path);
    written.set(path, performance.now());
    await keywords?.announce({ camera: 'BLUE' }, path);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
  await ingestor.stop();
  await ingestor.catalog.close();
  await keywords?.close();
  rmSync(dir, { recursive: true, force: true });
  if (latencies.length !== count) throw new Error(`${trigger}: ${latencies.length} of ${count} archived; ${failures.join('; ')}`);
  return latencies.sort((a, b) => a - b);
}

export async function main({ count = 200, gapMs = 50 } = {}) {
  mkdirSync(BENCH, { recursive: true });
  await run('keyword', SETTINGS.tuned, { count: 20, gapMs, first: 100_000 }); // warm-up, discarded
  const rows = [];
  let first = 1;
  for (const [label, settings] of Object.entries(SETTINGS)) {
    const fs = await run('filesystem', settings, { count, gapMs, first });
    const kw = await run('keyword', settings, { count, gapMs, first: first + count });
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
