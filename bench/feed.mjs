#!/usr/bin/env node
/**
 * The event feed under load (issue 16): an ingest of 1,000 raw KCWI frames into a SQLite catalog behind the ingest
 * server, once with no subscriber (the reference) and once with 50 subscribers — 40 long-polling `GET /v1/events`
 * and 10 webhook subscriptions (local receivers) — all on 127.0.0.1 in this process. Figures:
 * - ingest throughput with the subscribers, against without (goal ≥ 0.9);
 * - latency from the ARCHIVED commit (the ingestor's `archived` event) to each long-poll subscriber having the
 *   event, p50 and p99 over every (subscriber, event) pair (goal p99 < 250 ms), and the same to webhook receivers;
 * - peak RSS of the process (it holds the server, the ingestor and every subscriber).
 * Run `npm run build` first. FEED_BENCH_FILES changes the number of frames.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
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

async function run(frames, label, withSubscribers) {
  const dir = join(DIR, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'archive'), { recursive: true });
  const catalog = createSqliteCatalog({ path: join(dir, 'catalog.sqlite'), instruments: [...builtinInstruments()] });
  const ingestor = createIngestor({ instruments: builtinInstruments(), catalog, transports: [createFilesystemTransport({ root: join(dir, 'archive') })], staging: join(dir, 'staging'), concurrency: 8 });
  const server = createIngestServer({ ingestor, uploads: join(dir, 'uploads'), allowAnonymous: true, fsync: false });
  await ingestor.start();
  const listening = await server.listen();
  const archivedAt = new Map();
  ingestor.on('archived', (record) => archivedAt.set(record.archiveId, performance.now()));
  const pollLatency = [];
  const hookLatency = [];
  let stop = false;
  const pollers = [];
  const receivers = [];
  if (withSubscribers) {
    for (let i = 0; i < LONG_POLL; i++) {
      pollers.push((async () => {
        let after = 0;
        let got = 0;
        while (!stop && got < FILES) {
          const page = await (await fetch(`${listening.url}/v1/events?after=${after}&wait=5&limit=1000`)).json();
          const now = performance.now();
          for (const e of page.events) if (archivedAt.has(e.archiveId)) pollLatency.push(now - archivedAt.get(e.archiveId));
          got += page.events.length;
          after = page.cursor;
        }
      })());
    }
    for (let i = 0; i < WEBHOOKS; i++) {
      const state = { got: 0 };
      const http = createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const now = performance.now();
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          for (const e of body.events) if (archivedAt.has(e.archiveId)) hookLatency.push(now - archivedAt.get(e.archiveId));
          state.got += body.events.length;
          res.writeHead(204).end();
        });
      });
      await new Promise((r) => http.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${http.address().port}/hook`;
      const answer = await fetch(`${listening.url}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, after: 0 }) });
      if (answer.status !== 201) throw new Error(`subscription refused: ${answer.status} ${await answer.text()}`);
      receivers.push({ http, state });
    }
  }
  const t0 = performance.now();
  const ids = [];
  for (const path of frames) ids.push((await ingestor.submit({ path, trigger: 'bench', detectedAt: Date.now(), complete: true })).record.id);
  const records = await ingestor.settled(ids);
  const seconds = (performance.now() - t0) / 1000;
  const archived = records.filter((r) => r.state === 'ARCHIVED').length;
  if (archived !== FILES) throw new Error(`${label}: ${archived} of ${FILES} archived`);
  if (withSubscribers) {
    const deadline = Date.now() + 60_000;
    while ((pollLatency.length < LONG_POLL * FILES || receivers.some((r) => r.state.got < FILES)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    stop = true;
  }
  await listening.close(100);
  await server.close();
  await Promise.allSettled(pollers);
  for (const r of receivers) r.http.close();
  await ingestor.stop();
  await catalog.close();
  return { rate: FILES / seconds, pollLatency, hookLatency, delivered: receivers.map((r) => r.state.got), rss: rssMb() };
}

export async function main() {
  rmSync(DIR, { recursive: true, force: true });
  const frames = writeFrames();
  const without = await run(frames, 'without', false);
  const withSubs = await run(frames, 'with', true);
  rmSync(DIR, { recursive: true, force: true });
  const p = (v, q) => percentile(v, q).toFixed(1);
  const complete = `${withSubs.pollLatency.length}/${LONG_POLL * FILES} long-poll deliveries, webhook receivers got ${Math.min(...withSubs.delivered)}–${Math.max(...withSubs.delivered)} of ${FILES}`;
  return [
    { name: `ingest of ${FILES} frames with ${LONG_POLL + WEBHOOKS} subscribers vs none`, value: withSubs.rate, unit: 'files/s', reference: without.rate, ratio: withSubs.rate / without.rate,
      note: `goal ≥ 0.9; peak RSS ${without.rss.toFixed(0)} MB without, ${withSubs.rss.toFixed(0)} MB with` },
    { name: 'ARCHIVED → long-poll subscriber, p99', value: percentile(withSubs.pollLatency, 99), unit: 'ms', reference: 250, ratio: percentile(withSubs.pollLatency, 99) / 250,
      note: `reference = the goal (250 ms); p50 ${p(withSubs.pollLatency, 50)} ms; ${complete}; peak RSS ${withSubs.rss.toFixed(0)} MB` },
    { name: 'ARCHIVED → webhook subscriber, p99', value: percentile(withSubs.hookLatency, 99), unit: 'ms', reference: 250, ratio: percentile(withSubs.hookLatency, 99) / 250,
      note: `p50 ${p(withSubs.hookLatency, 50)} ms, batches of up to 100 events; peak RSS ${withSubs.rss.toFixed(0)} MB` },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await main()) console.log(row);
}
