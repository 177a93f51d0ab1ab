#!/usr/bin/env node
/**
 * The event feed under load (issue 16): an ingest of 1,000 raw KCWI frames into a SQLite catalog behind the ingest
 * server, once with no subscriber (the reference) and once with 50 subscribers — 40 long-polling `GET /v1/events`
 * and 10 webhook subscriptions (local receivers) — in a process of their own, as pipelines are, all on 127.0.0.1.
 * The two runs alternate, FEED_BENCH_ROUNDS times each (2), so the machine's load weighs on both. Figures:
 * - ingest throughput with the subscribers, against without (goal ≥ 0.9);
 * - latency from the ARCHIVED transition (the event's `at`) to each long-poll subscriber having the
 *   event, p50 and p99 over every (subscriber, event) pair (goal p99 < 250 ms), and the same to webhook receivers;
 * - the server process's CPU time per file with and without, and its peak RSS (server and ingestor).
 * Run `npm run build` first. FEED_BENCH_FILES changes the number of frames, FEED_BENCH_BATCH_MS the server's feed.batchMs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSqliteCatalog } from '../dist/catalogs/sqlite.js';
import { builtinInstruments, createIngestor } from '../dist/index.js';
import { createIngestServer } from '../dist/server/http.js';
import { frameName, makeFrame } from '../dist/simulator/index.js';
import { createFilesystemTransport } from '../dist/transports/filesystem.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, '.bench', 'feed');
const FILES = Number(process.env.FEED_BENCH_FILES ?? 1000);
const LONG_POLL = 40;
const WEBHOOKS = 10;
const ROUNDS = Number(process.env.FEED_BENCH_ROUNDS ?? 2);
/** The server's feed.batchMs (its default when unset). */
const BATCH_MS = process.env.FEED_BENCH_BATCH_MS === undefined ? undefined : Number(process.env.FEED_BENCH_BATCH_MS);

function writeFrames() {
  const dir = join(DIR, 'raw');
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: FILES }, (_, i) => {
    const options = { time: new Date(Date.UTC(2026, 10, 20, 6, 0, 0) + i * 1010), frameNumber: i + 1, axes: [64, 64], kind: i % 10 === 0 ? 'bias' : 'object' };
    const path = join(dir, frameName(options));
    writeFileSync(path, makeFrame(options));
    return path;
  });
}

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const rssMb = () => process.resourceUsage().maxRSS / 1024;

/** Starts the subscribers' process; resolves once they are registered, with a function that awaits their report. */
async function startSubscribers(url) {
  const child = spawn(process.execPath, [join(ROOT, 'bench', '_feed-subscribers.mjs'), url, String(LONG_POLL), String(WEBHOOKS), String(FILES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the subscribers' process ended (${code})`)));
  });
  if ((await next()) !== 'ready') throw new Error('the subscribers did not start');
  const report = next();
  return async () => {
    // Every subscriber reports once it has every event; past a minute it reports what it got.
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    try {
      return JSON.parse(await report);
    } finally {
      clearTimeout(timer);
    }
  };
}

async function run(frames, label, withSubscribers) {
  const dir = join(DIR, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'archive'), { recursive: true });
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
  const ingestor = createIngestor({ instruments: builtinInstruments(), catalog, transports: [createFilesystemTransport({ root: join(dir, 'archive') })], staging: join(dir, 'staging'), concurrency: 8 });
  const server = createIngestServer({ ingestor, uploads: join(dir, 'uploads'), allowAnonymous: true, fsync: false, ...(BATCH_MS === undefined ? {} : { feed: { batchMs: BATCH_MS } }) });
  await ingestor.start();
  const listening = await server.listen();
  const report = withSubscribers ? await startSubscribers(listening.url) : undefined;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const ids = [];
  for (const path of frames) ids.push((await ingestor.submit({ path, trigger: 'bench', detectedAt: Date.now(), complete: true })).record.id);
  const records = await ingestor.settled(ids);
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const archived = records.filter((r) => r.state === 'ARCHIVED').length;
  if (archived !== FILES) throw new Error(`${label}: ${archived} of ${FILES} archived`);
  const got = report ? await report() : { pollLatency: [], hookLatency: [], got: { polls: [], hooks: [] } };
  await listening.close(100);
  await server.close();
  await ingestor.stop();
  await catalog.close();
  return { rate: FILES / seconds, cpuMs: (used.user + used.system) / 1000, ...got, rss: rssMb() };
}

export async function main() {
  rmSync(DIR, { recursive: true, force: true });
  const frames = writeFrames();
  // Alternated, twice each: the machine's load changes during the run and must weigh on both sides alike.
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push({ without: await run(frames, `without-${i}`, false), with: await run(frames, `with-${i}`, true) });
  rmSync(DIR, { recursive: true, force: true });
  const sum = (side, field) => rounds.reduce((total, r) => total + r[side][field], 0);
  const pollLatency = rounds.flatMap((r) => r.with.pollLatency);
  const hookLatency = rounds.flatMap((r) => r.with.hookLatency);
  const polls = rounds.flatMap((r) => r.with.got.polls);
  const hooks = rounds.flatMap((r) => r.with.got.hooks);
  const rss = Math.max(...rounds.map((r) => r.with.rss));
  const rate = { without: sum('without', 'rate') / ROUNDS, with: sum('with', 'rate') / ROUNDS };
  const cpuPerFile = { without: sum('without', 'cpuMs') / (ROUNDS * FILES), with: sum('with', 'cpuMs') / (ROUNDS * FILES) };
  const p = (v, q) => percentile(v, q).toFixed(1);
  const complete = `long-polls got ${Math.min(...polls)}–${Math.max(...polls)}, webhooks ${Math.min(...hooks)}–${Math.max(...hooks)} of ${FILES} per round`;
  return [
    { name: `ingest of ${FILES} frames with ${LONG_POLL + WEBHOOKS} subscribers vs none (mean of ${ROUNDS} alternated rounds)`, value: rate.with, unit: 'files/s', reference: rate.without, ratio: rate.with / rate.without,
      note: `goal ≥ 0.9; server CPU ${cpuPerFile.with.toFixed(2)} vs ${cpuPerFile.without.toFixed(2)} ms/file; peak RSS ${Math.max(...rounds.map((r) => r.without.rss)).toFixed(0)} MB without, ${rss.toFixed(0)} MB with` },
    { name: 'ARCHIVED → long-poll subscriber, p99', value: percentile(pollLatency, 99), unit: 'ms', reference: 250, ratio: percentile(pollLatency, 99) / 250,
      note: `reference = the goal (250 ms); p50 ${p(pollLatency, 50)} ms; ${complete}; peak RSS ${rss.toFixed(0)} MB` },
    { name: 'ARCHIVED → webhook subscriber, p99', value: percentile(hookLatency, 99), unit: 'ms', reference: 250, ratio: percentile(hookLatency, 99) / 250,
      note: `p50 ${p(hookLatency, 50)} ms, batches of up to 100 events; peak RSS ${rss.toFixed(0)} MB` },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await main()) console.log(row);
}
