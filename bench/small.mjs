#!/usr/bin/env node
/**
 * Small files (issue 12): `fits-ingest ingest` of 2,000 × 1 MB frames (CLI, whole process, SQLite catalog,
 * every archived copy flushed and verified) with one engine and with `--workers 2`, against `cp -r` and
 * `cp -r` + `sync` of the same folder in the same run, with the peak RSS of each ingest process next to its
 * figure. Memory must not grow with the number of files: the same ingest of the first 500 frames is run too, and
 * its peak RSS printed beside the 2,000-file one.
 *
 * `npm run bench -- small`; `SMALL_COUNT=1000` for a shorter run, `SMALL_CONCURRENCY=16` to pass --concurrency.
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { frameName } from '../dist/simulator/index.js';
import { BENCH, MB, frameOptions, writeFrame } from './_watch.mjs';

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist/cli/main.js');
const COUNT = Number(process.env.SMALL_COUNT ?? 2000);
const CONCURRENCY = process.env.SMALL_CONCURRENCY;

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${command} ${args.slice(0, 4).join(' ')}… failed: ${result.error ?? result.stderr}`);
  return result.stdout;
}

function seconds(fn) {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

/** The folder of `count` 1 MB frames (reused between runs; bench/ingest.mjs writes the same ones). */
function frames(count) {
  const dir = join(BENCH, 'ingest-1mb');
  mkdirSync(dir, { recursive: true });
  const have = readdirSync(dir).filter((f) => f.endsWith('.fits')).length;
  if (have < count) {
    process.stdout.write(`writing ${count} frames of 1 MB into ${dir}…\n`);
    for (let n = 1; n <= count; n++) {
      const path = join(dir, frameName(frameOptions(n, [724, 724])));
      if (!existsSync(path)) writeFrame(path, n, [724, 724]);
    }
  }
  return dir;
}

/** A folder holding hard links to the first `count` files of `dir`. */
function subset(dir, count) {
  const sub = join(BENCH, `ingest-1mb-first-${count}`);
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub, { recursive: true });
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.fits')).sort().slice(0, count)) linkSync(join(dir, name), join(sub, name));
  return sub;
}

/** Runs one ingest as its own process under /usr/bin/time; returns seconds, ARCHIVED count and peak RSS (MB). */
function ingest(dir, workers) {
  const archive = join(BENCH, 'small-archive');
  const rss = join(BENCH, 'small-rss.txt');
  rmSync(archive, { recursive: true, force: true });
  run('sync', []);
  const args = [CLI, 'ingest', dir, '--archive', archive, '--json', '--workers', String(workers), ...(CONCURRENCY ? ['--concurrency', CONCURRENCY] : [])];
  let out = '';
  const took = seconds(() => {
    out = run('/usr/bin/time', ['-f', '%M', '-o', rss, 'node', ...args]);
  });
  const archived = out.trim().split('\n').filter((l) => JSON.parse(l).state === 'ARCHIVED').length;
  rmSync(archive, { recursive: true, force: true });
  run('sync', []);
  return { took, archived, rssMb: Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) / 1024 };
}

export async function main() {
  if (!existsSync(CLI)) throw new Error('run npm run build first');
  const all = frames(COUNT);
  const dir = subset(all, COUNT);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  run('sh', ['-c', 'cat "$0"/* > /dev/null', dir]);
  const cpTarget = join(BENCH, 'small-cp');
  rmSync(cpTarget, { recursive: true, force: true });
  run('sync', []);
  const cp = seconds(() => run('cp', ['-r', dir, cpTarget]));
  const cpSync = cp + seconds(() => run('sync', []));
  rmSync(cpTarget, { recursive: true, force: true });
  const rows = [];
  for (const workers of [1, 2]) {
    const r = ingest(dir, workers);
    if (r.archived !== COUNT) throw new Error(`only ${r.archived} of ${COUNT} files ARCHIVED`);
    const note = `${COUNT} files, ${(bytes / MB).toFixed(0)} MB, --workers ${workers}${CONCURRENCY ? ` --concurrency ${CONCURRENCY}` : ''}; ingest ${r.took.toFixed(2)} s, cp ${cp.toFixed(2)} s, cp+sync ${cpSync.toFixed(2)} s; peak RSS ${r.rssMb.toFixed(0)} MB`;
    rows.push({ name: `ingest ${COUNT} × 1 MB, ${workers} engine${workers > 1 ? 's' : ''}: files/s vs cp + sync`, value: COUNT / r.took, unit: 'files/s', reference: COUNT / cpSync, note });
    rows.push({ name: `ingest ${COUNT} × 1 MB, ${workers} engine${workers > 1 ? 's' : ''}: files/s vs cp`, value: COUNT / r.took, unit: 'files/s', reference: COUNT / cp, note });
    rows.push({ name: `ingest ${COUNT} × 1 MB, ${workers} engine${workers > 1 ? 's' : ''}: peak RSS`, value: r.rssMb, unit: 'MB', reference: r.rssMb, note: 'whole process (/usr/bin/time %M)' });
  }
  // Memory does not grow with the number of files: peak RSS of 500 files vs COUNT files, one engine.
  const few = Math.min(500, COUNT);
  const small = ingest(subset(all, few), 1);
  rmSync(join(BENCH, `ingest-1mb-first-${few}`), { recursive: true, force: true });
  const big = rows.find((r) => r.name.endsWith('1 engine: peak RSS'));
  rows.push({ name: `peak RSS, ingest of ${COUNT} files vs ${few} files (1 engine)`, value: big.value, unit: 'MB', reference: small.rssMb, note: `${few} files: ${(few / small.took).toFixed(0)} files/s, ${small.rssMb.toFixed(0)} MB` });
  rmSync(dir, { recursive: true, force: true });
  return rows.map((r) => ({ ...r, ratio: r.value / r.reference }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit} vs ${row.reference.toFixed(1)} → ×${row.ratio.toFixed(2)}  (${row.note})`);
}
