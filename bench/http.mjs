#!/usr/bin/env node
/**
 * HTTP link throughput (issue 4): the fits-ingest HTTP transport (client, this process) → `fits-ingest serve` (a
 * second process), against `curl --data-binary` → a bare Node.js server (a second process) that only writes each
 * request body to disk, in the same run, over loopback. Run `npm run build` first.
 *
 * (a) one 1 GiB prepared FITS frame: MB/s of the upload with verification on arrival (SHA-256 and DATASUM/CHECKSUM
 *     while the bytes arrive, fsync, receipt checked by the client) — goal ≥ 70% of curl's MB/s; and, for the
 *     record, of the whole ingestion at the archive (the same plus preparing, copying and verifying the archived
 *     copy, and the catalog commit).
 * (b) 1,000 prepared 1 MB frames, 8 at a time on both sides: files/s end to end, each one verified on arrival,
 *     ingested and committed to the archive's SQLite catalog before the client counts it — goal ≥ 200 files/s —
 *     against curl --parallel (8) posting the same files to the bare server.
 *
 * The page cache is warm; each contender runs `ROUNDS` times in turns and keeps its best; every fits-ingest round
 * starts a fresh server and archive. Files live under .bench/http/ and are removed at the end.
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { applyChecksums, ChecksumAccumulator } from '../dist/index.js';
import { frameHeader, frameName } from '../dist/simulator/index.js';
import { createHttpTransport } from '../dist/transports/http.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, '.bench', 'http');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const MB = 1e6;
const ROUNDS = Number(process.env.HTTP_BENCH_ROUNDS ?? 2);
const SMALL = Number(process.env.HTTP_BENCH_FILES ?? 1000);
const PARALLEL = 8;
/** `HTTP_BENCH_SMALL_ONLY=1`: only the small-file figures (no 1 GiB frame). */
const SMALL_ONLY = process.env.HTTP_BENCH_SMALL_ONLY === '1';
const TOKEN = randomBytes(24).toString('hex');

/** Writes a prepared KCWI frame (archive id in KOAID, valid sums) of `axes` 16-bit pixels; returns its TransferRequest. */
function preparedFrame(dir, n, axes, pattern) {
  const time = new Date(Date.UTC(2026, 10, 20, 6, 0, 0) + n * 61_000 + n * 10);
  const options = { time, frameNumber: n, camera: 'BLUE', axes };
  const seconds = time.getUTCHours() * 3600 + time.getUTCMinutes() * 60 + time.getUTCSeconds();
  const archiveId = `KB.20261120.${String(seconds).padStart(5, '0')}.${String(Math.floor(time.getUTCMilliseconds() / 10)).padStart(2, '0')}`;
  const dataBytes = axes[0] * axes[1] * 2;
  const fill = (2880 - (dataBytes % 2880)) % 2880;
  const chunk = (done) => {
    const piece = pattern.subarray(0, Math.min(pattern.length, dataBytes - done));
    piece.writeUInt32BE(n, 0); // every file differs
    return piece;
  };
  const sums = new ChecksumAccumulator();
  for (let done = 0; done < dataBytes; done += pattern.length) sums.update(chunk(done));
  const header = frameHeader(options);
  header.set('KOAID', `${archiveId}.fits`);
  applyChecksums(header, sums.digest(), Date.UTC(2026, 10, 20, 18));
  const headerBytes = header.toBytes();
  const path = join(dir, frameName(options));
  const hash = createHash('sha256').update(headerBytes);
  const fd = openSync(path, 'w');
  writeSync(fd, headerBytes);
  for (let done = 0; done < dataBytes; done += pattern.length) {
    const piece = chunk(done);
    hash.update(piece);
    writeSync(fd, piece);
  }
  const zeros = Buffer.alloc(fill);
  hash.update(zeros);
  writeSync(fd, zeros);
  closeSync(fd);
  return {
    recordId: `bench-${n}`,
    archiveId,
    instrument: 'KCWI',
    level: 0,
    night: '2026-11-20',
    path,
    size: headerBytes.length + dataBytes + fill,
    sha256: hash.digest('hex'),
    hdus: [{ index: 0, datasum: Number(header.get('DATASUM')), checksum: header.get('CHECKSUM') }],
    originalName: frameName(options),
    sidecar: {},
  };
}

/** Peak RSS (MB) of the archive servers, read from /proc before each is stopped. */
const serverRss = [];
function peakRss(pid) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) serverRss.push(Number(kb) / 1024);
  } catch {
    // no /proc here: no figure
  }
}

/** Starts a child process and resolves with its first stdout line that `pick` accepts. */
function child(command, args, pick) {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (c) => (err += c));
  const exited = new Promise((done) => proc.on('exit', (code) => done(code)));
  return new Promise((ready, fail) => {
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
      for (const line of out.split('\n')) {
        const value = line && pick(line);
        if (value) return ready({ proc, value, stop: async () => (peakRss(proc.pid), proc.kill('SIGTERM'), await exited) });
      }
    });
    void exited.then((code) => fail(new Error(`${command} ${args.join(' ')} exited ${code}: ${err}`)));
  });
}

const BARE = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
let n = 0;
const server = http.createServer((req, res) => {
  const out = fs.createWriteStream(path.join(process.argv[1], String(n++)));
  req.pipe(out).on('finish', () => res.writeHead(201).end());
});
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

async function bareServer(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const s = await child(process.execPath, ['-e', BARE, dir], (line) => /^\d+$/.test(line) && `http://127.0.0.1:${line}`);
  return { url: s.value, stop: s.stop };
}

async function ingestServer(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tokens = join(dir, 'tokens.json');
  writeFileSync(tokens, JSON.stringify([{ site: 'bench', token: TOKEN, scopes: ['push', 'read'] }]));
  const args = [CLI, 'serve', '--archive', join(dir, 'archive'), '--port', '0', '--tokens', tokens, '--concurrency', String(PARALLEL), '--json'];
  const s = await child(process.execPath, args, (line) => line.includes('"listening"') && JSON.parse(line).url);
  return { url: s.value, stop: s.stop };
}

const seconds = async (fn) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

function curl(args) {
  const result = spawnSync('curl', ['-sS', '--fail', '-H', 'Content-Type: application/octet-stream', '-H', 'Expect:', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.error) throw new Error(`curl is needed for the reference: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`curl failed (${result.status}): ${result.stderr}`);
}

/** The best time of `rounds` runs of `round` (each gets a fresh server from `start`). */
async function best(start, round) {
  let fastest = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const server = await start();
    try {
      fastest = Math.min(fastest, await seconds(() => round(server.url)));
    } finally {
      await server.stop();
    }
  }
  return fastest;
}

async function transferAll(url, requests, ingest) {
  const transport = createHttpTransport({ url, token: TOKEN, ingest, concurrency: PARALLEL });
  try {
    await Promise.all(requests.map((r) => transport.transfer(r)));
  } finally {
    await transport.close();
  }
}

export async function main() {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, 'files'), { recursive: true });
  try {
    const pattern = randomBytes(8 << 20);
    process.stdout.write(`writing a 1 GiB frame and ${SMALL} frames of 1 MB into ${DIR}…\n`);
    // 16384 × 32767 pixels: the whole file stays within curl's 1 GiB limit for --data-binary @file (read into memory).
    const large = SMALL_ONLY ? undefined : preparedFrame(join(DIR, 'files'), 1, [16384, 32767], pattern);
    mkdirSync(join(DIR, 'files', 'small'), { recursive: true });
    const small = Array.from({ length: SMALL }, (_, i) => preparedFrame(join(DIR, 'files', 'small'), 100 + i, [724, 724], pattern));
    spawnSync('cat', [...(large ? [large.path] : []), ...small.map((r) => r.path)], { stdio: ['ignore', 'ignore', 'inherit'] }); // warm the page cache

    const bare = () => bareServer(join(DIR, 'bare'));
    const ours = () => ingestServer(join(DIR, 'ingest'));
    const curlLarge = large && (await best(bare, (url) => curl(['-o', '/dev/null', '--data-binary', `@${large.path}`, `${url}/large`])));
    const upload = large && (await best(ours, (url) => transferAll(url, [large], 'none')));
    const ingested = large && (await best(ours, (url) => transferAll(url, [large], 'wait')));
    const largeRss = Math.max(0, ...serverRss.splice(0));

    const config = join(DIR, 'curl-small.cfg');
    writeFileSync(config, small.map((r, i) => `url = "URL/f${i}"\ndata-binary = "@${r.path}"\noutput = "/dev/null"\n`).join('next\n'));
    const curlSmall = await best(bare, async (url) => {
      writeFileSync(`${config}.run`, readConfig(config).replaceAll('URL/', `${url}/`));
      curl(['--parallel', '--parallel-max', String(PARALLEL), '-K', `${config}.run`]);
    });
    serverRss.length = 0;
    const smallIngested = await best(ours, (url) => transferAll(url, small, 'wait'));
    const smallRss = Math.max(0, ...serverRss.splice(0));
    const smallUploaded = await best(ours, (url) => transferAll(url, small, 'none'));

    const rss = (mb) => `archive server peak RSS ${mb.toFixed(0)} MB`;
    const rows = [];
    if (large) {
      const gib = large.size / MB;
      rows.push(
        { name: '1 GiB upload verified on arrival (SHA-256 + HDU sums, fsync), fits-ingest client→serve vs curl --data-binary → bare server', value: gib / upload, unit: 'MB/s', reference: gib / curlLarge, note: `goal ≥ 0.70; ${rss(largeRss)}` },
        { name: '1 GiB ingested end to end (upload, verify, prepare, archive copy verified, catalog commit) vs curl → bare server', value: gib / ingested, unit: 'MB/s', reference: gib / curlLarge, note: `for the record: the archive reads and writes the file again; ${rss(largeRss)}` },
      );
    }
    rows.push(
      { name: `${SMALL} × 1 MB ingested end to end (verified, archived, SQLite commit), ${PARALLEL} at a time, vs curl --parallel ${PARALLEL} → bare server`, value: SMALL / smallIngested, unit: 'files/s', reference: SMALL / curlSmall, note: `goal ≥ 200 files/s; ${rss(smallRss)}` },
      { name: `${SMALL} × 1 MB uploaded and verified on arrival (no ingestion), ${PARALLEL} at a time, vs curl --parallel ${PARALLEL} → bare server`, value: SMALL / smallUploaded, unit: 'files/s', reference: SMALL / curlSmall },
    );
    return rows.map((r) => ({ ...r, ratio: r.value / r.reference }));
  } finally {
    rmSync(DIR, { recursive: true, force: true });
  }
}

function readConfig(path) {
  return spawnSync('cat', [path], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit} vs ${row.reference.toFixed(1)} → ×${row.ratio.toFixed(2)}${row.note ? `  (${row.note})` : ''}`);
}
