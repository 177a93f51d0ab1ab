#!/usr/bin/env node
/**
 * Reprocessing: N raw frames (default 200, `REPROCESS_FRAMES=N` to change) through the example pipeline
 * (examples/pipelines/imager_reduce.py, Python + astropy) with 1, 2 and 4 processing areas, against the same
 * pipeline command run directly in a shell loop over the same manifests (the reference).
 *
 * - The archive: a KCWI night from the simulator (3 biases, 2 flats, N science frames of 128 × 128) ingested by the
 *   real engine into SQLite + filesystem; one calibration set certified for the night.
 * - Reference: `for m in manifests; do python3 imager_reduce.py $m; done` in one shell, timed as a whole: the
 *   pipeline's own time per frame.
 * - fits-ingest: one request per frame (`service.submit`), timed from submission to the last request DONE;
 *   products archived at level 2 with provenance. Each area count uses its own processor version, so the result
 *   cache answers nothing and every product is really rebuilt (and supersedes the previous run's).
 * - Overhead per request = (time with 1 area − reference) / N, as a share of the pipeline's own time per frame
 *   (goal < 10%). The 1-area run and the shell loop alternate over chunks of 25 frames, so a load drift on a shared
 *   machine hits both alike. Then 2 and 4 areas (`REPROCESS_AREAS=2,4`) over all frames. Peak RSS of this process
 *   (maxRSS) is printed next to each figure.
 *
 * Runs the TypeScript sources through tsx (the processing modules have no dist entry yet).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = (p) => tsImport(join(root, 'src', p), import.meta.url);
const PIPELINE = join(root, 'examples', 'pipelines', 'imager_reduce.py');
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

export async function main() {
  const frames = Number(process.env.REPROCESS_FRAMES ?? 200);
  const { ingestorFromOptions } = await src('cli/_run-ingestor.ts');
  const { createSqliteProcessingStore } = await src('adapters/processing-stores/sqlite.ts');
  const { createCommandProcessor } = await src('adapters/processors/command.ts');
  const { createProcessingService } = await src('processing/service.ts');
  const { areasUnder } = await src('processing/areas.ts');
  const { provenanceCards } = await src('core/processing/provenance.ts');
  const { localPath } = await src('processing/inputs.ts');
  const { makeFrame, frameName } = await src('simulator/frames.ts');

  const dir = mkdtempSync(join(tmpdir(), 'fits-bench-reprocess-'));
  const incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  const T0 = Date.UTC(2026, 10, 20, 6, 0, 0);
  const kinds = [...Array(3).fill('bias'), ...Array(2).fill('flatlamp'), ...Array(frames).fill('object')];
  kinds.forEach((kind, i) => {
    const frame = { time: new Date(T0 + i * 60_000), frameNumber: i + 1, axes: [128, 128], kind, program: kind === 'object' ? 'K123' : 'CAL' };
    writeFileSync(join(incoming, frameName(frame)), makeFrame(frame));
  });
  const archive = join(dir, 'archive');
  const { ingestor } = await ingestorFromOptions({ archive }, { stability: { quietMs: 0, settleMs: 0 } });
  await ingestor.start();
  const { readdirSync } = await import('node:fs');
  const ids = [];
  for (const name of readdirSync(incoming)) ids.push((await ingestor.submit({ path: join(incoming, name), trigger: 'bench', detectedAt: Date.now(), complete: true })).record.id);
  await ingestor.settled(ids);
  const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
  await store.init();
  const raw = await ingestor.catalog.findArchived({ level: 0, limit: 100_000 });
  const calibrations = raw.filter((f) => f.imageType === 'bias' || f.imageType === 'flatlamp');
  const science = raw.filter((f) => f.imageType === 'object');
  const service0 = createProcessingService({ store, ingestor, processor: createCommandProcessor({ name: 'imager_reduce', version: 'setup', command: ['true'] }), areas: areasUnder(join(dir, 'unused'), 1) });
  const { set } = await service0.certify({ instrument: 'KCWI', kind: 'imaging', from: T0 - 3_600_000, actor: 'bench', files: calibrations.map((f) => ({ role: f.imageType === 'bias' ? 'bias' : 'flat', archiveId: f.archiveId })) });

  // Reference: the same pipeline over the same kind of manifests, in a shell loop.
  const manifests = join(dir, 'manifests');
  mkdirSync(manifests);
  const files = calibrations.map((f) => ({ role: f.imageType === 'bias' ? 'bias' : 'flat', archiveId: f.archiveId, path: localPath(f), sha256: f.sha256 }));
  science.forEach((f, i) => {
    const out = join(manifests, `out-${i}`);
    mkdirSync(out);
    const choice = { setId: set.id, version: set.version, exact: true, distanceMs: 0, reason: 'certified' };
    const manifest = { request: `ref-${i}`, processor: { name: 'imager_reduce', version: 'ref' }, outputDir: out, inputs: [{ archiveId: f.archiveId, path: localPath(f), sha256: f.sha256 }], calibration: { setId: set.id, instrument: 'KCWI', kind: 'imaging', version: set.version, files }, provenance: provenanceCards({ requestId: `ref-${i}`, processor: { name: 'imager_reduce', version: 'ref' }, choice, inputs: [f] }) };
    writeFileSync(join(manifests, `m-${String(i).padStart(5, '0')}.json`), JSON.stringify(manifest));
  });
  const manifest = (i) => `'${manifests}/m-${String(i).padStart(5, '0')}.json'`;
  const shellLoop = (indexes) => {
    // Every run starts with empty output folders, as the areas do.
    execFileSync('/bin/sh', ['-c', `rm -rf '${manifests}'/out-*/* `]);
    const t0 = performance.now();
    const out = execFileSync('/bin/sh', ['-c', `for m in ${indexes.map(manifest).join(' ')}; do /usr/bin/python3 '${PIPELINE}' "$m" > /dev/null || exit 1; done; times`], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    // `times`, second line: CPU time of the shell's children (the pipeline runs), user and system
    const [user, sys] = out.trim().split('\n').at(-1).split(/\s+/).map((v) => { const m = /(\d+)m([\d.]+)s/.exec(v); return Number(m[1]) * 60 + Number(m[2]); });
    return { wall, cpu: user + sys };
  };
  let lastCpu = 0; // CPU seconds of this process (fits-ingest itself: scheduler, store, engine) in the last run
  const run = async (areas, indexes) => {
    const processor = createCommandProcessor({ name: 'imager_reduce', version: `1.0-bench-${areas}`, command: ['/usr/bin/python3', PIPELINE] });
    const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(join(dir, `areas-${areas}`), areas), pollMs: 20 });
    await service.start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const requests = await service.submit({ archiveIds: indexes.map((i) => science[i].archiveId), requester: 'bench' });
    const done = await service.settled(requests.map((r) => r.id), { timeoutMs: 3_600_000 });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await service.stop();
    lastCpu = (cpu.user + cpu.system) / 1e6;
    const failed = done.filter((r) => r.state !== 'DONE' || r.cached);
    if (failed.length) throw new Error(`${failed.length} requests did not run: ${failed[0].state} ${failed[0].error?.code} ${failed[0].error?.message}`);
    return seconds;
  };
  // The machine is shared and its load drifts: the 1-area run and the shell loop alternate over chunks of 25
  // frames (shell, fits-ingest, shell, fits-ingest…) and each side's chunks are summed.
  const all = science.map((_, i) => i);
  const chunks = [];
  for (let i = 0; i < all.length; i += 25) chunks.push(all.slice(i, i + 25));
  const rows = [];
  const rss0 = rssMb();
  let shellSeconds = 0;
  let shellCpu = 0;
  let oneArea = 0;
  let ownCpu = 0;
  for (const chunk of chunks) {
    const shell = shellLoop(chunk);
    shellSeconds += shell.wall;
    shellCpu += shell.cpu;
    oneArea += await run(1, chunk);
    ownCpu += lastCpu;
  }
  const perFrame = shellSeconds / science.length;
  console.log(`reference: ${science.length} pipeline runs in a shell loop: ${shellSeconds.toFixed(1)} s (${perFrame.toFixed(3)} s per frame)`);
  const overhead = (oneArea - shellSeconds) / science.length;
  console.log(`1 area(s): ${science.length} requests in ${oneArea.toFixed(1)} s = ${(science.length / oneArea).toFixed(2)} requests/s; overhead ${(overhead * 1000).toFixed(0)} ms per request = ${(overhead / perFrame).toFixed(3)} of the pipeline's time; peak RSS ${rssMb()} MB`);
  rows.push({ name: 'reprocess 1 area: requests/s vs the shell loop', value: science.length / oneArea, unit: 'req/s', reference: 1 / perFrame, ratio: shellSeconds / oneArea, note: `${science.length} frames, peak RSS ${rssMb()} MB` });
  // Wall time on a shared machine swings with the others' load; CPU time much less: fits-ingest's own CPU per
  // request (everything this process did: scheduling, store, archiving the product) against the pipeline's CPU.
  const cpuPerFrame = shellCpu / science.length;
  const ownPerRequest = ownCpu / science.length;
  console.log(`CPU: the pipeline ${(cpuPerFrame * 1000).toFixed(0)} ms per frame (shell loop's children); fits-ingest itself ${(ownPerRequest * 1000).toFixed(0)} ms per request = ${(ownPerRequest / cpuPerFrame).toFixed(3)} of it`);
  rows.push({ name: 'reprocess CPU of fits-ingest itself per request vs the pipeline\'s CPU per frame', value: ownPerRequest * 1000, unit: 'ms', reference: cpuPerFrame * 1000, ratio: ownPerRequest / cpuPerFrame, note: `goal < 0.10; load-independent; peak RSS ${rssMb()} MB` });
  rows.push({ name: 'reprocess overhead per request (1 area) vs pipeline time per frame', value: overhead * 1000, unit: 'ms', reference: perFrame * 1000, ratio: overhead / perFrame, note: `goal < 0.10; peak RSS ${rssMb()} MB (${rss0} MB before)` });
  for (const areas of (process.env.REPROCESS_AREAS ?? '2,4').split(',').map(Number)) {
    const seconds = await run(areas, all);
    const rate = science.length / seconds;
    console.log(`${areas} area(s): ${science.length} requests in ${seconds.toFixed(1)} s = ${rate.toFixed(2)} requests/s; peak RSS ${rssMb()} MB`);
    rows.push({ name: `reprocess ${areas} areas: requests/s vs the shell loop (1 at a time)`, value: rate, unit: 'req/s', reference: 1 / perFrame, ratio: rate * perFrame, note: `${science.length} frames, peak RSS ${rssMb()} MB` });
  }
  await store.close();
  await ingestor.stop();
  await ingestor.catalog.close();
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await main()) console.log(row);
}
