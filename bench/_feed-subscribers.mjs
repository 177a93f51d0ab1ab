#!/usr/bin/env node
/**
 * Subscribers for bench/feed.mjs, in their own process as pipelines are (argv: server url, long-poll count,
 * webhook count, events to wait for): long-polls `GET /v1/events` with a cursor and registers webhook
 * subscriptions with local receivers, prints `ready`, and once every subscriber has `events` archived events
 * (or on SIGTERM) prints one JSON line: the delay from each archived event's commit time (`at`) to its arrival,
 * per long-poll and per webhook, and how many each got.
 */
import { Agent, createServer, get } from 'node:http';

const [url, pollText, hookText, eventsText] = process.argv.slice(2);
const [polls, hooks, wanted] = [Number(pollText), Number(hookText), Number(eventsText)];
const pollLatency = [];
const hookLatency = [];
const got = { polls: Array(polls).fill(0), hooks: Array(hooks).fill(0) };
let stop = false;

function report() {
  stop = true;
  process.stdout.write(`${JSON.stringify({ pollLatency, hookLatency, got })}\n`, () => process.exit(0));
}
// node:http with kept-alive connections: the lightest client Node has (fetch costs several times more CPU).
const agent = new Agent({ keepAlive: true, maxSockets: polls + 1 });
const getJson = (path) =>
  new Promise((resolve, reject) => {
    get(`${url}${path}`, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    }).on('error', reject);
  });
const done = () => got.polls.every((n) => n >= wanted) && got.hooks.every((n) => n >= wanted);

for (let i = 0; i < hooks; i++) {
  const http = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      for (const e of JSON.parse(Buffer.concat(chunks).toString('utf8')).events) {
        if (e.kind !== 'archived') continue;
        hookLatency.push(now - e.at);
        got.hooks[i]++;
      }
      res.writeHead(204).end();
      if (done()) report();
    });
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const answer = await fetch(`${url}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://127.0.0.1:${http.address().port}/hook` }) });
  if (answer.status !== 201) throw new Error(`subscription refused: ${answer.status} ${await answer.text()}`);
}
// Every long-poll starts at the newest event, as a subscriber that comes up before the night does.
const start = (await getJson('/v1/events?kind=released&limit=1')).cursor;
for (let i = 0; i < polls; i++) {
  void (async () => {
    let after = start;
    while (!stop && got.polls[i] < wanted) {
      const page = await getJson(`/v1/events?after=${after}&wait=5&limit=1000`);
      const now = Date.now();
      for (const e of page.events) {
        if (e.kind !== 'archived') continue;
        pollLatency.push(now - e.at);
        got.polls[i]++;
      }
      after = page.cursor;
    }
    if (done()) report();
  })();
}
process.stdout.write('ready\n');
process.on('SIGTERM', report);
