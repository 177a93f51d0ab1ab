#!/usr/bin/env node
/**
 * Ingestion throughput and latency (issue 3), against `cp` of the same files in the same run.
 *
 * (a) 2,000 × 1 MB frames and (b) 10 × 500 MB frames through `fits-ingest ingest` (the CLI, whole process,
 *     SQLite catalog, fsync on; one engine, then `--workers 2`): files/s and MB/s, vs `cp -r` of the same folder
 *     (and `cp -r` + `sync`, since ingest flushes every archived copy to disk and cp does not).
 * (c) watch mode: latency from "file complete" (the writer's rename) to the ARCHIVED event, p50/p99, for 1 MB
 *     frames written at 20 per second and for 100 MB frames; filesystem trigger with quietMs 200 (bench/_watch.mjs).
 *
 * Files live under .bench/ (gitignored) and are reused between runs; archives are removed after each run.
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { frameName } from '../dist/simulator/index.js';
import { BENCH, MB, frameOptions, percentile, watchLatency, writeFrame } from './_watch.mjs';

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist/cli/main.js');
/** Engine and watcher settings of the watch-mode latency runs (same as the keyword bench's "tuned"). */
const TUNED = { engine: { stability: { quietMs: 200, pollMs: 20 }, tickMs: 5 }, debounceMs: 20 };

function seconds(fn) {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${command} ${args.slice(0, 4).join(' ')}… failed: ${result.error ?? result.stderr}`);
  return result.stdout;
}

/** Reads every file of `dir` once so that cp and ingest both start from a warm page cache. */
function warm(dir) {
  run('sh', ['-c', 'cat "$0"/* > /dev/null', dir]);
}

function ensureFrames(dir, count, side1, side2) {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).filter((f) => f.endsWith('.fits')).length === count) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`writing ${count} frames of ${((side1 * side2 * 2) / MB).toFixed(1)} MB into ${dir}…\n`);
  for (let n = 1; n <= count; n++) writeFrame(join(dir, frameName(frameOptions(n, [side1, side2]))), n, [side1, side2]);
}

function totalBytes(dir) {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** Ingest (CLI, with 1 and with 2 engines) vs cp and cp+sync of one folder; returns rows. */
function throughput(label, dir, count) {
  const bytes = totalBytes(dir);
  const cpTarget = join(BENCH, 'cp-target');
  const archive = join(BENCH, 'ingest-archive');
  rmSync(cpTarget, { recursive: true, force: true });
  rmSync(archive, { recursive: true, force: true });
  warm(dir);
  run('sync', []);
  const cp = seconds(() => run('cp', ['-r', dir, cpTarget]));
  const cpSync = cp + seconds(() => run('sync', []));
  rmSync(cpTarget, { recursive: true, force: true });
  run('sync', []);
  const rows = [];
  for (const workers of [1, 2]) {
    let out = '';
    const ingest = seconds(() => {
      out = run('node', [CLI, 'ingest', dir, '--archive', archive, '--json', '--workers', String(workers)]);
    });
    const archived = out.trim().split('\n').filter((l) => JSON.parse(l).state === 'ARCHIVED').length;
    rmSync(archive, { recursive: true, force: true });
    run('sync', []);
    if (archived !== count) throw new Error(`${label}: only ${archived} of ${count} files ARCHIVED`);
    const note = `${count} files, ${(bytes / MB).toFixed(0)} MB, --workers ${workers}; cp ${cp.toFixed(2)} s, cp+sync ${cpSync.toFixed(2)} s, ingest ${ingest.toFixed(2)} s`;
    const who = `ingest ${label}, ${workers} engine${workers > 1 ? 's' : ''}`;
    rows.push(
      { name: `${who}: files/s (CLI, SQLite catalog, fsync) vs cp`, value: count / ingest, unit: 'files/s', reference: count / cp, note },
      { name: `${who}: MB/s vs cp`, value: bytes / MB / ingest, unit: 'MB/s', reference: bytes / MB / cp, note },
      { name: `${who}: MB/s vs cp + sync`, value: bytes / MB / ingest, unit: 'MB/s', reference: bytes / MB / cpSync, note },
    );
  }
  return rows;
}

function summary(sorted) {
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
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
  const l1 = summary(await watchLatency('filesystem', TUNED, { count: 200, gapMs: 50, axes: [724, 724], label: 'ingest-1mb' }));
  rows.push({ name: 'watch latency 1 MB frames, p50 (file complete → ARCHIVED) vs goal 1 s', value: l1.p50, unit: 'ms', reference: 1000, note: '200 frames at 20/s, quietMs 200' });
  rows.push({ name: 'watch latency 1 MB frames, p99 vs goal 1 s', value: l1.p99, unit: 'ms', reference: 1000, note: '200 frames at 20/s, quietMs 200' });
  const l100 = summary(await watchLatency('filesystem', TUNED, { count: 10, gapMs: 1500, axes: [7072, 7072], label: 'ingest-100mb' }));
  rows.push({ name: 'watch latency 100 MB frames, p50 vs goal 1 s', value: l100.p50, unit: 'ms', reference: 1000, note: '10 frames, one per 1.5 s, quietMs 200' });
  rows.push({ name: 'watch latency 100 MB frames, p99 vs goal 1 s', value: l100.p99, unit: 'ms', reference: 1000, note: '10 frames, one per 1.5 s, quietMs 200' });
  return rows.map((r) => ({ ...r, ratio: r.value / r.reference }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit} vs ${row.reference.toFixed(1)} → ×${row.ratio.toFixed(2)}  (${row.note})`);
}
