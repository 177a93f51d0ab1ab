#!/usr/bin/env node
/**
 * Event-stream clients for bench/portal.mjs, in their own process: logs in `count` times (argv: url, count,
 * tokens joined by commas), keeps one /ui/events stream per session, and on SIGTERM prints one JSON line with the
 * delay from each `archived` event's commit time to its arrival here, per client.
 */
import { request } from 'node:http';

const [url, countText, tokenList] = process.argv.slice(2);
const tokens = tokenList.split(',');
const delays = [];
let events = 0;

async function login(token) {
  const response = await fetch(`${url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
  return response.headers.get('set-cookie').split(';')[0];
}

function open(cookie) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/ui/events`, { headers: { cookie } }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.includes('event: archived')) continue;
          const data = JSON.parse(block.slice(block.indexOf('data: ') + 6));
          delays.push(Date.now() - data.at);
          events++;
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
}

const count = Number(countText);
for (let i = 0; i < count; i++) await open(await login(tokens[i % tokens.length]));
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  // Exit only once the (large) line has reached the pipe.
  process.stdout.write(`${JSON.stringify({ events, delays })}\n`, () => process.exit(0));
});
setInterval(() => {}, 1 << 30);
