#!/usr/bin/env node
/**
 * Live pages under load (issue 17): ingestion of `FILES` raw frames (1,000; 64 × 64 KCWI, SQLite catalog, local
 * archive, in this process) with `CLIENTS` (200) event-stream clients connected to the server's /ui/events (in a
 * second process: half admin sessions, half K123 observers), against the same ingestion without clients, in the
 * same run and each on a fresh archive. Figures: ingestion files/s with clients ÷ without (goal ≥ 0.9), and the
 * p50/p99 delay from a file's commit (ARCHIVED) to its event reaching a client (goal p99 < 250 ms), with this
 * process's peak RSS. Run `npm run build` first. `main()` returns rows for bench/run.mjs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinInstruments, createIngestor } from '../dist/index.js';
import { createSqliteCatalog } from '../dist/catalogs/sqlite.js';
import { createFilesystemTransport } from '../dist/transports/filesystem.js';
import { createIngestServer } from '../dist/server/http.js';
import { frameName, makeFrame } from '../dist/simulator/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, '.bench', 'portal');
const FILES = Number(process.env.PORTAL_BENCH_FILES ?? 1000);
const CLIENTS = Number(process.env.PORTAL_BENCH_CLIENTS ?? 200);
const ROUNDS = Number(process.env.PORTAL_BENCH_ROUNDS ?? 2);
const TOKENS = [
  { site: 'ops', token: 'bench-admin-token-0123456789abcdef', scopes: ['admin'] },
  { site: 'k123', token: 'bench-k123-token-0123456789abcdef', scopes: ['read'], programs: ['K123'] },
];
const rssMb = () => process.resourceUsage().maxRSS / 1024;

function writeFrames(dir) {
  mkdirSync(dir, { recursive: true });
  const paths = [];
  for (let n = 1; n <= FILES; n++) {
    const options = { time: new Date(Date.UTC(2026, 10, 20, 5, 0, 0) + n * 20_000), frameNumber: n, axes: [64, 64], program: n % 2 ? 'K123' : 'K999' };
    const path = join(dir, frameName(options));
    writeFileSync(path, makeFrame(options));
    paths.push(path);
  }
  return paths;
}

async function run(name, frames, clients) {
  const dir = join(DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'archive'), { recursive: true });
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
  const ingestor = createIngestor({ instruments: builtinInstruments(), catalog, transports: [createFilesystemTransport({ root: join(dir, 'archive') })], staging: join(dir, 'staging'), concurrency: 4 });
  const server = createIngestServer({ ingestor, uploads: join(dir, 'uploads'), tokens: TOKENS, pages: { archiveRoot: dir } });
  await ingestor.start();
  const listening = await server.listen();
  let child;
  if (clients > 0) {
    child = spawn(process.execPath, [join(ROOT, 'bench', '_sse-clients.mjs'), listening.url, String(clients), TOKENS.map((t) => t.token).join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((resolveReady) => {
      const check = setInterval(() => out.includes('ready') && (clearInterval(check), resolveReady()), 20);
    });
    child.output = () => out;
  }
  const started = performance.now();
  const ids = [];
  for (const path of frames) ids.push((await ingestor.submit({ path, trigger: 'bench', detectedAt: Date.now(), complete: true })).record.id);
  const records = await ingestor.settled(ids);
  const seconds = (performance.now() - started) / 1000;
  const archived = records.filter((r) => r.state === 'ARCHIVED').length;
  if (archived !== frames.length) throw new Error(`${name}: ${archived} of ${frames.length} archived (${records.find((r) => r.state !== "ARCHIVED")?.state}: ${records.find((r) => r.state !== "ARCHIVED")?.error?.message})`);
  let delays = [];
  let events = 0;
  if (child) {
    await new Promise((r) => setTimeout(r, 500)); // the last events reach the clients
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    const line = child.output().split('\n').find((l) => l.startsWith('{'));
    ({ delays, events } = JSON.parse(line));
  }
  await listening.close(100);
  await server.close();
  await ingestor.stop();
  await catalog.close();
  rmSync(dir, { recursive: true, force: true });
  return { filesPerSecond: frames.length / seconds, delays: delays.sort((a, b) => a - b), events, rss: rssMb() };
}

export async function main() {
  rmSync(DIR, { recursive: true, force: true });
  const frames = writeFrames(join(DIR, 'frames'));
  // Alternated rounds (without, with, without, with…), so a change in the machine's load hits both sides alike.
  const runsWithout = [];
  const runsWith = [];
  for (let round = 0; round < ROUNDS; round++) {
    runsWithout.push(await run('without', frames, 0));
    runsWith.push(await run('with', frames, CLIENTS));
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const without = { filesPerSecond: mean(runsWithout.map((r) => r.filesPerSecond)), rss: Math.max(...runsWithout.map((r) => r.rss)) };
  const withClients = {
    filesPerSecond: mean(runsWith.map((r) => r.filesPerSecond)),
    rss: Math.max(...runsWith.map((r) => r.rss)),
    delays: runsWith.flatMap((r) => r.delays).sort((a, b) => a - b),
    events: runsWith.reduce((n, r) => n + r.events, 0),
  };
  const rows = [];
  rows.push({
    name: `ingestion of ${FILES} frames with ${CLIENTS} event-stream clients`,
    value: withClients.filesPerSecond,
    unit: 'files/s',
    reference: without.filesPerSecond,
    ratio: withClients.filesPerSecond / without.filesPerSecond,
    note: `goal ≥ 0.9; reference: no clients; ${ROUNDS} alternated rounds (${runsWith.map((r, i) => (r.filesPerSecond / runsWithout[i].filesPerSecond).toFixed(2)).join(', ')}); peak RSS ${Math.round(without.rss)} MB without, ${Math.round(withClients.rss)} MB with`,
  });
  const q = (p) => withClients.delays[Math.min(withClients.delays.length - 1, Math.floor(p * withClients.delays.length))] ?? NaN;
  const expected = ROUNDS * ((CLIENTS / 2) * FILES + (CLIENTS / 2) * Math.ceil(FILES / 2));
  rows.push({
    name: 'ARCHIVED → event at a client, p99',
    value: q(0.99),
    unit: 'ms',
    reference: 250,
    ratio: q(0.99) / 250,
    note: `goal < 250 ms (ratio < 1); p50 ${q(0.5)} ms, max ${withClients.delays.at(-1)} ms; ${withClients.events} events received of ${expected} expected (K123 observers get only K123's); peak RSS ${Math.round(withClients.rss)} MB`,
  });
  rmSync(DIR, { recursive: true, force: true });
  return rows;
}
