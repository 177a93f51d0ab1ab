#!/usr/bin/env node
/**
 * Ingestion throughput and latency (issue 3), against `cp` of the same files in the same run.
 *
 * (a) 2,000 × 1 MB frames and (b) 10 × 500 MB frames through `fits-ingest ingest` (the CLI, whole process,
 *     SQLite catalog, fsync on): files/s and MB/s, vs `cp -r` of the same folder (and `cp -r` + `sync`, since
 *     ingest flushes every archived copy to disk and cp does not).
 * (c) watch mode: latency from "file complete" (the writer's rename) to the ARCHIVED event, p50/p99, for 1 MB
 *     frames written at 20 per second and for 100 MB frames; filesystem trigger with quietMs 200.
 *
 * Files live under .bench/ (gitignored) and are reused between runs; archives are removed after each run.
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, rmSync, writeSync, closeSync, renameSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinInstruments, createIngestor } from '../dist/index.js';
import { createSqliteCatalog } from '../dist/catalogs/sqlite.js';
import { createFilesystemTransport } from '../dist/transports/filesystem.js';
import { createFilesystemTrigger } from '../dist/triggers/filesystem.js';
import { frameHeader, frameName, makeFrame } from '../dist/simulator/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(root, '.bench');
const CLI = join(root, 'dist/cli/main.js');
const MB = 1e6;
const START = Date.UTC(2026, 10, 20, 6, 0, 0);

function seconds(fn) {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A frame of `bytes` data bytes (16-bit, NAXIS1 × NAXIS2), written with a fast repeating pattern. */
function writeBigFrame(path, n, side1, side2) {
  const options = { time: new Date(START + n * 61_000 + n * 10), frameNumber: n, axes: [side1, side2] };
  const header = frameHeader(options).toBytes();
  const dataBytes = side1 * side2 * 2;
  const pattern = Buffer.alloc(8 << 20);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 2654435761 + n * 97) >>> 24;
  const fd = openSync(`${path}.part`, 'w');
  writeSync(fd, header);
  for (let done = 0; done < dataBytes; done += pattern.length) writeSync(fd, pattern, 0, Math.min(pattern.length, dataBytes - done));
  const fill = (2880 - (dataBytes % 2880)) % 2880;
  if (fill) writeSync(fd, Buffer.alloc(fill));
  closeSync(fd);
  renameSync(`${path}.part`, path);
}

function ensureFrames(dir, count, side1, side2) {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).filter((f) => f.endsWith('.fits')).length === count) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`writing ${count} frames of ${((side1 * side2 * 2) / MB).toFixed(1)} MB into ${dir}…\n`);
  for (let n = 1; n <= count; n++) {
    const options = { time: new Date(START + n * 61_000 + n * 10), frameNumber: n, axes: [side1, side2] };
    writeBigFrame(join(dir, frameName(options)), n, side1, side2);
  }
}

function totalBytes(dir) {
  return readdirSync(dir).reduce((n, f) => n + (spawnSync('stat', ['-c', '%s', join(dir, f)], { encoding: 'utf8' }).stdout.trim() | 0), 0);
}

/** Ingest (CLI) vs cp and cp+sync of one folder; returns rows. */
function throughput(label, dir, count) {
  const bytes = totalBytes(dir);
  const cpTarget = join(BENCH, 'cp-target');
  const archive = join(BENCH, 'ingest-archive');
  rmSync(cpTarget, { recursive: true, force: true });
  rmSync(archive, { recursive: true, force: true });
  run('cat', readdirSync(dir).map((f) => join(dir, f))); // warm the page cache for both
  run('sync', []);
  const cp = seconds(() => run('cp', ['-r', dir, cpTarget]));
  const cpSync = cp + seconds(() => run('sync', []));
  rmSync(cpTarget, { recursive: true, force: true });
  run('sync', []);
  let out = '';
  const ingest = seconds(() => {
    out = run('node', [CLI, 'ingest', dir, '--archive', archive, '--json']);
  });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  const archived = lines.filter((l) => l.state === 'ARCHIVED').length;
  rmSync(archive, { recursive: true, force: true });
  if (archived !== count) throw new Error(`${label}: only ${archived} of ${count} files ARCHIVED`);
  const note = `${count} files, ${(bytes / MB).toFixed(0)} MB; cp ${cp.toFixed(2)} s, cp+sync ${cpSync.toFixed(2)} s, ingest ${ingest.toFixed(2)} s`;
  return [
    { name: `ingest ${label}: files/s (CLI, SQLite catalog, fsync) vs cp`, value: count / ingest, unit: 'files/s', reference: count / cp, note },
    { name: `ingest ${label}: MB/s vs cp`, value: bytes / MB / ingest, unit: 'MB/s', reference: bytes / MB / cp, note },
    { name: `ingest ${label}: MB/s vs cp + sync`, value: bytes / MB / ingest, unit: 'MB/s', reference: bytes / MB / cpSync, note },
  ];
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Watch mode: frames appear (atomic rename) at a steady pace; latency from rename to the ARCHIVED event. */
async function latency(label, count, side, gapMs) {
  const dir = join(BENCH, `watch-${label}`);
  const incoming = join(dir, 'incoming');
  const archive = join(dir, 'archive');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(incoming, { recursive: true });
  mkdirSync(archive, { recursive: true });
  const instruments = builtinInstruments();
  const ingestor = createIngestor({
    instruments,
    catalog: createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...instruments] }),
    triggers: [createFilesystemTrigger({ paths: [incoming], debounceMs: 20 })],
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(archive, '.staging'),
    stability: { quietMs: 200, pollMs: 20 },
    tickMs: 5,
  });
  const written = new Map();
  const latencies = [];
  const done = new Promise((resolveDone) => {
    ingestor.on('archived', (record) => {
      latencies.push(performance.now() - written.get(record.source));
      if (latencies.length === count) resolveDone();
    });
  });
  await ingestor.start();
  const bytes = side * side * 2 >= 50 * MB ? undefined : true;
  for (let n = 1; n <= count; n++) {
    const options = { time: new Date(START + n * 61_000 + n * 10), frameNumber: n, axes: [side, side] };
    const path = join(incoming, frameName(options));
    if (bytes) {
      const frame = makeFrame(options);
      const fd = openSync(`${path}.part`, 'w');
      writeSync(fd, frame);
      closeSync(fd);
      renameSync(`${path}.part`, path);
    } else {
      writeBigFrame(path, n, side, side);
    }
    written.set(path, performance.now());
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 120_000))]);
  await ingestor.stop();
  await ingestor.catalog.close();
  rmSync(dir, { recursive: true, force: true });
  if (latencies.length !== count) throw new Error(`${label}: only ${latencies.length} of ${count} archived`);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function main() {
  if (!existsSync(CLI)) throw new Error('run npm run build first');
  const rows = [];
  const small = join(BENCH, 'ingest-1mb');
  ensureFrames(small, 2000, 724, 724);
  rows.push(...throughput('2,000 × 1 MB', small, 2000));
  const large = join(BENCH, 'ingest-500mb');
  ensureFrames(large, 10, 16384, 16000);
  rows.push(...throughput('10 × 500 MB', large, 10));
  rmSync(large, { recursive: true, force: true }); // 5 GB: do not keep between runs
  const l1 = await latency('1mb', 200, 724, 50);
  rows.push({ name: 'watch latency 1 MB frames, p50 (file complete → ARCHIVED) vs goal 1 s', value: l1.p50, unit: 'ms', reference: 1000, note: '200 frames at 20/s, quietMs 200' });
  rows.push({ name: 'watch latency 1 MB frames, p99 vs goal 1 s', value: l1.p99, unit: 'ms', reference: 1000, note: '200 frames at 20/s, quietMs 200' });
  const l100 = await latency('100mb', 10, 7072, 1500);
  rows.push({ name: 'watch latency 100 MB frames, p50 vs goal 1 s', value: l100.p50, unit: 'ms', reference: 1000, note: '10 frames, one per 1.5 s, quietMs 200' });
  rows.push({ name: 'watch latency 100 MB frames, p99 vs goal 1 s', value: l100.p99, unit: 'ms', reference: 1000, note: '10 frames, one per 1.5 s, quietMs 200' });
  return rows.map((r) => ({ ...r, ratio: r.value / r.reference }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit} vs ${row.reference.toFixed(1)} → ×${row.ratio.toFixed(2)}  (${row.note})`);
}
