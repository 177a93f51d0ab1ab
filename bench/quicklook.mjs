#!/usr/bin/env node
/**
 * Quick-look on arrival: N science frames (default 100, `QUICKLOOK_FRAMES=N`) written at the simulator's cadence
 * (default 1.5 s apart as in the demo: 40 files over 60 s; `QUICKLOOK_CADENCE_MS`), 512 × 512 16-bit, after the
 * night's 3 biases and 2 flats. Each frame is announced complete when written (as the keyword monitor does; a
 * folder watcher adds its --quiet wait on top), archived by the real engine (SQLite + filesystem), and reduced in
 * quick-look mode by the example pipeline (examples/pipelines/imager_reduce.py) in 2 processing areas; its level-1
 * product is archived linked to it.
 *
 * - Measured per frame: file complete (the rename that publishes it) → raw ARCHIVED → quick-look ARCHIVED.
 * - Reference, same run and same load: each pipeline process's own wall time, timed by the shell that starts it
 *   (`date +%s%N` around `python3 imager_reduce.py manifest`, a few ms of shell included).
 * - What fits-ingest adds per frame = (complete → quick-look ARCHIVED) − that frame's pipeline run: announcing,
 *   archiving the raw frame, queueing, the area, staging and archiving the product, and any wait for a free area
 *   (frames arriving while both areas are busy). Goal: < 1 s at p99. Peak RSS of this process next to each figure.
 *
 * Runs the TypeScript sources through tsx.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = (p) => tsImport(join(root, 'src', p), import.meta.url);
const PIPELINE = join(root, 'examples', 'pipelines', 'imager_reduce.py');
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const pct = (values, q) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

export async function main() {
  const frames = Number(process.env.QUICKLOOK_FRAMES ?? 100);
  const cadence = Number(process.env.QUICKLOOK_CADENCE_MS ?? 1500);
  const { ingestorFromOptions } = await src('cli/_run-ingestor.ts');
  const { demoInstruments } = await src('cli/_demo-quicklook.ts');
  const { createSqliteProcessingStore } = await src('adapters/processing-stores/sqlite.ts');
  const { createCommandProcessor } = await src('adapters/processors/command.ts');
  const { createProcessingService } = await src('processing/service.ts');
  const { createQuickLook } = await src('processing/quicklook.ts');
  const { areasUnder } = await src('processing/areas.ts');
  const { makeFrame, frameName } = await src('simulator/frames.ts');

  const dir = mkdtempSync(join(tmpdir(), 'fits-bench-quicklook-'));
  const incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  const archive = join(dir, 'archive');
  const { ingestor } = await ingestorFromOptions({ archive }, { stability: { quietMs: 0, settleMs: 0 }, instruments: await demoInstruments() });
  await ingestor.start();
  const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
  await store.init();
  const timings = join(dir, 'timings');
  writeFileSync(timings, '');
  const timed = `m="$1"; r=$(sed -n 's/^  "request": "\\([^"]*\\)".*/\\1/p' "$m"); s=$(date +%s%N); /usr/bin/python3 '${PIPELINE}' "$m"; c=$?; e=$(date +%s%N); echo "$r $(( (e - s) / 1000000 ))" >> '${timings}'; exit $c`;
  const processor = createCommandProcessor({ name: 'imager_reduce', version: '1.0', command: ['/bin/sh', '-c', timed, 'sh'], timeoutMs: 120_000 });
  const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(join(dir, 'areas'), 2), outbox: join(dir, 'outbox'), pollMs: 50 });
  const quickLook = createQuickLook({ service, tickMs: 50, catchUpHours: 0 });
  await service.start();
  await quickLook.start();

  const T0 = Date.UTC(2026, 10, 20, 6, 0, 0);
  const complete = new Map(); // archive id → file complete (ms)
  const bySource = new Map();
  ingestor.on('archived', (record, file) => {
    const at = bySource.get(record.source);
    if (at !== undefined) complete.set(file.archiveId, at);
  });
  const kinds = [...Array(3).fill('bias'), ...Array(2).fill('flatlamp'), ...Array(frames).fill('object')];
  const rss0 = rssMb();
  const t0 = performance.now();
  for (const [i, kind] of kinds.entries()) {
    const started = Date.now();
    const frame = { time: new Date(T0 + i * 60_000), frameNumber: i + 1, axes: [512, 512], kind, program: kind === 'object' ? 'K123' : 'CAL' };
    const path = join(incoming, frameName(frame));
    writeFileSync(`${path}.part`, makeFrame(frame));
    renameSync(`${path}.part`, path);
    const at = Date.now();
    bySource.set(path, at);
    await ingestor.submit({ path, trigger: 'bench', detectedAt: at, complete: true });
    if (kind === 'object') {
      const rest = cadence - (Date.now() - started);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  }
  const deadline = Date.now() + 600_000;
  let rows;
  for (;;) {
    rows = await store.findFrames();
    if ((rows.length === frames && rows.every((f) => f.state === 'DONE' || f.state === 'FAILED')) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const night = (performance.now() - t0) / 1000;
  const failed = rows.filter((f) => f.state !== 'DONE');
  if (failed.length) throw new Error(`${failed.length} quick-looks did not finish: ${failed[0].state} ${failed[0].error?.code ?? ''} ${failed[0].error?.message ?? ''}`);
  const toArchived = rows.map((f) => f.archivedAt - complete.get(f.archiveId));
  const toQuickLook = rows.map((f) => f.productArchivedAt - complete.get(f.archiveId));
  const rssNight = rssMb();
  console.log(`${frames} frames every ${cadence} ms in ${night.toFixed(1)} s; peak RSS ${rssNight} MB (${rss0} MB before)`);
  await quickLook.stop();
  await service.stop();

  // Reference, measured in the same run under the same load: each pipeline process's own wall time, recorded by
  // the shell that starts it (its request id read from the manifest).
  const own = new Map(readFileSync(timings, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')).map(([id, ms]) => [id, Number(ms)]));
  const runs = rows.map((f) => own.get(f.requestId)).filter((ms) => ms !== undefined);
  if (runs.length !== rows.length) throw new Error(`${rows.length - runs.length} pipeline runs have no timing`);
  const own50 = pct(runs, 0.5);
  const own99 = pct(runs, 0.99);
  const added = rows.map((f) => f.productArchivedAt - complete.get(f.archiveId) - own.get(f.requestId));
  console.log(`reference: the pipeline's own run (process wall time) per frame: p50 ${own50} ms, p99 ${own99} ms`);
  console.log(`complete → ARCHIVED p50 ${pct(toArchived, 0.5)} ms p99 ${pct(toArchived, 0.99)} ms; complete → quick-look ARCHIVED p50 ${pct(toQuickLook, 0.5)} ms p99 ${pct(toQuickLook, 0.99)} ms; added p50 ${pct(added, 0.5)} ms p99 ${pct(added, 0.99)} ms`);
  const note = `${frames} frames, 512x512, 2 areas, every ${cadence} ms; peak RSS ${rssMb()} MB (${rss0} MB before)`;
  const out = [
    { name: 'quicklook p50: file complete → quick-look ARCHIVED vs the pipeline run (p50)', value: pct(toQuickLook, 0.5), unit: 'ms', reference: own50, ratio: pct(toQuickLook, 0.5) / own50, note },
    { name: 'quicklook p99: file complete → quick-look ARCHIVED vs the pipeline run (p99)', value: pct(toQuickLook, 0.99), unit: 'ms', reference: own99, ratio: pct(toQuickLook, 0.99) / own99, note },
    { name: 'quicklook added by fits-ingest per frame (latency − its pipeline run), p99, vs the pipeline run p50', value: pct(added, 0.99), unit: 'ms', reference: own50, ratio: pct(added, 0.99) / own50, note: `goal < 1000 ms; p50 added ${pct(added, 0.5)} ms; ${note}` },
    { name: 'quicklook p99: file complete → raw ARCHIVED vs the pipeline run p50', value: pct(toArchived, 0.99), unit: 'ms', reference: own50, ratio: pct(toArchived, 0.99) / own50, note },
  ];
  await store.close();
  await ingestor.stop();
  await ingestor.catalog.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await main()) console.log(row);
}
