#!/usr/bin/env node
/**
 * Several hosts on PostgreSQL (issue 13), against one process on SQLite in the same run: 2,000 × 1 MB frames
 * ingested by 1, 2 and 4 `fits-ingest ingest` processes (distinct --owner, one folder, one PostgreSQL catalog on a
 * throw-away local cluster), and by 1 process on the SQLite catalog. For each: files/s (first process started →
 * last one ended), p99 claim-to-archived latency (a record's DETECTED entry, when its submitter inserts and leases
 * it, to its ARCHIVED entry, from the catalog's history), and the peak RSS of the largest process (VmHWM).
 * Goal: 2 processes on PostgreSQL ≥ 1 process on SQLite.
 *
 * Needs Debian's postgresql (initdb, pg_ctl run as the postgres user, as in the tests) and `npm run build`.
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { frameName } from '../dist/simulator/index.js';
import { BENCH, frameOptions, percentile, writeFrame } from './_watch.mjs';

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist/cli/main.js');
const COUNT = Number(process.env.FITS_BENCH_PG_FILES ?? 2000);
const AXES = [724, 724]; // 1 MB

function ensureFrames(dir) {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).filter((f) => f.endsWith('.fits')).length === COUNT) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`writing ${COUNT} frames of 1 MB into ${dir}…\n`);
  for (let n = 1; n <= COUNT; n++) writeFrame(join(dir, frameName(frameOptions(n, AXES))), n, AXES);
}

const asPostgres = (command, args) => execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });

/** A throw-away cluster on a free loopback port (as the tests start one), with the durability settings of a real server. */
async function startCluster() {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error('no initdb: install the Debian package postgresql');
  const bin = join(root, version, 'bin');
  const dir = mkdtempSync('/tmp/fits-ingest-bench-pg-');
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  chownSync(dir, uid, gid);
  const password = `pw-${Math.random().toString(36).slice(2, 10)}`;
  writeFileSync(join(dir, 'pwfile'), password);
  chownSync(join(dir, 'pwfile'), uid, gid);
  asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth-host=scram-sha-256', `--pwfile=${join(dir, 'pwfile')}`, '-E', 'UTF8', '--locale=C']);
  const port = await new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
  asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, '-l', join(dir, 'log'), '-w', 'start']);
  const url = (db) => `postgres://postgres:${password}@127.0.0.1:${port}/${db}`;
  return {
    url,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return url(name);
    },
    stop() {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Runs `processes` ingest processes at once; resolves to wall seconds and the largest VmHWM (MB). */
async function ingestWith(processes, dir, archive, catalog) {
  const started = performance.now();
  let peak = 0;
  const children = Array.from({ length: processes }, (_, i) => {
    const child = spawn(process.execPath, [CLI, 'ingest', dir, '--archive', archive, '--catalog', catalog, '--owner', `bench-${i + 1}`, '--assume-complete', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    return { child, ended: new Promise((ok) => child.on('exit', (code) => ok({ code, out, err }))) };
  });
  const sample = setInterval(() => {
    for (const { child } of children) {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      } catch {
        // ended
      }
    }
  }, 100);
  const results = await Promise.all(children.map((c) => c.ended));
  clearInterval(sample);
  const seconds = (performance.now() - started) / 1000;
  for (const r of results) if (r.code !== 0) throw new Error(`an ingest process failed (${r.code}): ${r.err.slice(0, 2000)}`);
  return { seconds, peakMb: peak };
}

const LATENCY_SQL = `SELECT a.at - d.at AS ms FROM history d JOIN history a ON a.record_id = d.record_id
  WHERE d.to_state = 'DETECTED' AND d.from_state IS NULL AND a.to_state = 'ARCHIVED'`;

async function latencies(catalog) {
  if (catalog.startsWith('sqlite:')) {
    const db = new Database(catalog.slice('sqlite:'.length), { readonly: true });
    const rows = db.prepare(LATENCY_SQL).all();
    const archived = db.prepare(`SELECT count(*) AS n FROM archived_files`).get().n;
    db.close();
    return { ms: rows.map((r) => Number(r.ms)).sort((a, b) => a - b), archived };
  }
  const c = new pg.Client({ connectionString: catalog });
  await c.connect();
  const { rows } = await c.query(LATENCY_SQL);
  const archived = Number((await c.query('SELECT count(*) AS n FROM archived_files')).rows[0].n);
  await c.end();
  return { ms: rows.map((r) => Number(r.ms)).sort((a, b) => a - b), archived };
}

export async function main() {
  if (!existsSync(CLI)) throw new Error('run npm run build first');
  const dir = join(BENCH, 'ingest-1mb');
  ensureFrames(dir);
  const cluster = await startCluster();
  const runs = [];
  try {
    const configs = [
      { label: 'SQLite, 1 process', processes: 1, catalog: async (archive) => `sqlite:${join(archive, 'catalog.sqlite')}` },
      ...[1, 2, 4].map((processes) => ({ label: `PostgreSQL, ${processes} process${processes > 1 ? 'es' : ''}`, processes, catalog: () => cluster.createDatabase(`bench_${processes}`) })),
    ];
    for (const config of configs) {
      const archive = join(BENCH, 'postgres-archive');
      rmSync(archive, { recursive: true, force: true });
      mkdirSync(archive, { recursive: true });
      execFileSync('sync');
      const catalog = await config.catalog(archive);
      process.stdout.write(`${config.label}…\n`);
      const { seconds, peakMb } = await ingestWith(config.processes, dir, archive, catalog);
      const { ms, archived } = await latencies(catalog);
      if (archived !== COUNT) throw new Error(`${config.label}: ${archived} of ${COUNT} files archived`);
      runs.push({ ...config, filesPerSecond: COUNT / seconds, p99: percentile(ms, 99), p50: percentile(ms, 50), peakMb, seconds });
      rmSync(archive, { recursive: true, force: true });
    }
  } finally {
    cluster.stop();
  }
  const [sqlite, ...postgres] = runs;
  const rows = [];
  for (const r of runs) {
    const note = `${COUNT} × 1 MB in ${r.seconds.toFixed(1)} s; claim→ARCHIVED p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms; peak RSS ${r.peakMb.toFixed(0)} MB (largest process)`;
    rows.push({ name: `ingest ${r.label}: files/s vs SQLite, 1 process`, value: r.filesPerSecond, unit: 'files/s', reference: sqlite.filesPerSecond, note });
  }
  for (const r of postgres) {
    rows.push({ name: `ingest ${r.label}: p99 claim→ARCHIVED vs SQLite, 1 process`, value: r.p99, unit: 'ms', reference: sqlite.p99, note: `peak RSS ${r.peakMb.toFixed(0)} MB vs ${sqlite.peakMb.toFixed(0)} MB` });
  }
  return rows.map((r) => ({ ...r, ratio: r.value / r.reference }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit} vs ${row.reference.toFixed(1)} → ×${row.ratio.toFixed(2)}  (${row.note})`);
}
