#!/usr/bin/env node
/**
 * Media volumes: writing ~5 GB of FITS frames to tar volumes with `writeVolumes` (one copy, 4 GiB volumes, every
 * file's SHA-256 computed while it is read and compared with the expected one, volumes fsynced when complete)
 * against GNU `tar cf` of the same files in the same run, with and without a `sync` of the archive afterwards.
 * Run `npx tsup` first, then `node bench/media.mjs` (or `npm run bench -- media`).
 *
 * - Frames (`MEDIA_BENCH_FRAMES`, default 60, of `MEDIA_BENCH_MB` ≈ 85 MB): a FITS primary header and random
 *   int16 data, written to a temp directory under `.bench/` (check `df -h` first: the run needs ~2.2× the frames'
 *   size on that disk). Their SHA-256 are computed when they are made, as a catalog would hold them.
 * - The page cache is warmed with the frames; then the contenders take turns, 2 rounds, each keeping its best;
 *   every output is deleted after its round, and everything at the end.
 * - Peak memory: each contender runs in its own process (`writeVolumes` in a child `node` running this file with
 *   `--volumes-child`, tar under `/usr/bin/time`), and its peak resident set (maxRSS) is printed beside its figure.
 *
 * `main()` returns rows `{ name, value, unit, reference, ratio }` (ratio = value / reference) for bench/run.mjs.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeVolumes } from '../dist/transports/media.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1e6;

function header(naxis1, naxis2, n) {
  const card = (text) => text.padEnd(80, ' ');
  const int = (keyword, value) => card(`${keyword.padEnd(8)}= ${String(value).padStart(20)}`);
  const cards = [card(`SIMPLE  = ${'T'.padStart(20)}`), int('BITPIX', 16), int('NAXIS', 2), int('NAXIS1', naxis1), int('NAXIS2', naxis2), int('FRAMENO', n), card('END')];
  return Buffer.from(cards.join('').padEnd(2880, ' '), 'latin1');
}

/** Writes the frames; returns media items with their size and SHA-256. */
function makeFrames(dir, count, mb) {
  const naxis1 = 4096;
  const naxis2 = Math.ceil((mb * MB) / (naxis1 * 2));
  const dataBytes = naxis1 * naxis2 * 2;
  const data = randomFillSync(Buffer.allocUnsafe(dataBytes + ((2880 - (dataBytes % 2880)) % 2880)));
  data.fill(0, dataBytes);
  const items = [];
  for (let n = 1; n <= count; n++) {
    const h = header(naxis1, naxis2, n);
    data.writeUInt32LE(n, 0); // every frame differs
    const path = join(dir, `frame${String(n).padStart(4, '0')}.fits`);
    const fd = openSync(path, 'w');
    writeSync(fd, h);
    writeSync(fd, data);
    closeSync(fd);
    items.push({ member: `frames/frame${String(n).padStart(4, '0')}.fits`, path, size: h.length + data.length, sha256: createHash('sha256').update(h).update(data).digest('hex') });
  }
  return items;
}

/** Runs `writeVolumes` in a child process: its seconds and peak RSS (MB), free of the frame-making memory. */
function volumesInChild(itemsFile, out) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--volumes-child', itemsFile, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`writeVolumes child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** `tar cf` under /usr/bin/time when it exists: seconds and peak RSS (MB, undefined without /usr/bin/time). */
function tarCf(tarOut, src) {
  const timed = existsSync('/usr/bin/time');
  const t = process.hrtime.bigint();
  const r = timed ? spawnSync('/usr/bin/time', ['-f', '%M', 'tar', 'cf', tarOut, '-C', src, '.'], { encoding: 'utf8' }) : spawnSync('tar', ['cf', tarOut, '-C', src, '.'], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  const kb = timed ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
  return { seconds, rssMB: Number.isFinite(kb) ? kb / 1024 : undefined };
}

function time(fn) {
  const t = process.hrtime.bigint();
  const result = fn();
  return Promise.resolve(result).then(() => Number(process.hrtime.bigint() - t) / 1e9);
}

export async function main() {
  const frames = Number(process.env.MEDIA_BENCH_FRAMES ?? 60);
  const mb = Number(process.env.MEDIA_BENCH_MB ?? 85);
  mkdirSync(join(root, '.bench'), { recursive: true });
  const dir = mkdtempSync(join(root, '.bench', 'media-'));
  try {
    const src = join(dir, 'frames');
    mkdirSync(src);
    const items = makeFrames(src, frames, mb);
    const bytes = items.reduce((n, i) => n + i.size, 0);
    spawnSync('sync'); // the frames' own dirty pages would otherwise be flushed during whichever contender runs first
    for (const i of items) readFileSync(i.path); // warm the page cache
    const itemsFile = join(dir, 'items.json');
    writeFileSync(itemsFile, JSON.stringify(items));
    const best = { tar: Infinity, tarSync: Infinity, volumes: Infinity };
    const peak = { tar: undefined, volumes: 0 };
    for (let round = 0; round < 2; round++) {
      const tarOut = join(dir, 'gnu.tar');
      const tar = tarCf(tarOut, src);
      const syncTime = await time(() => spawnSync('sync', [tarOut]));
      best.tar = Math.min(best.tar, tar.seconds);
      best.tarSync = Math.min(best.tarSync, tar.seconds + syncTime);
      if (tar.rssMB !== undefined) peak.tar = Math.max(peak.tar ?? 0, tar.rssMB);
      rmSync(tarOut);
      const out = join(dir, 'volumes');
      mkdirSync(out);
      const volumes = volumesInChild(itemsFile, out);
      best.volumes = Math.min(best.volumes, volumes.seconds);
      peak.volumes = Math.max(peak.volumes, volumes.rssMB);
      rmSync(out, { recursive: true });
    }
    const rate = (s) => bytes / MB / s;
    const rss = `peak RSS writeVolumes ${peak.volumes.toFixed(0)} MB, tar ${peak.tar === undefined ? 'n/a (no /usr/bin/time)' : `${peak.tar.toFixed(0)} MB`}`;
    const note = `${frames} frames of ${(bytes / frames / MB).toFixed(0)} MB, ${(bytes / 1e9).toFixed(2)} GB, 4 GiB volumes, 1 copy, SHA-256 verified, best of 2; ${rss}`;
    return [
      { name: 'writeVolumes vs tar cf + sync', value: rate(best.volumes), unit: 'MB/s', reference: rate(best.tarSync), ratio: best.tarSync / best.volumes, note },
      { name: 'writeVolumes vs tar cf (no sync)', value: rate(best.volumes), unit: 'MB/s', reference: rate(best.tar), ratio: best.tar / best.volumes, note: `tar leaves its archive in the page cache; volumes are fsynced; ${rss}` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child mode: `node bench/media.mjs --volumes-child ITEMS.json OUT` prints `{ seconds, rssMB }`. */
async function volumesChild(itemsFile, out) {
  const items = JSON.parse(readFileSync(itemsFile, 'utf8'));
  let report;
  const seconds = await time(async () => {
    report = await writeVolumes(items, { out, volumeSize: '4G', copies: 1 });
  });
  if (report.failed.length > 0 || report.items.length !== items.length) throw new Error(`writeVolumes failed ${report.failed.length} files: ${report.failed[0]?.error.message}`);
  console.log(JSON.stringify({ seconds, rssMB: process.resourceUsage().maxRSS / 1024 }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--volumes-child') {
  await volumesChild(process.argv[3], process.argv[4]);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(0)} ${row.unit} vs ${row.reference.toFixed(0)} → ratio ${row.ratio.toFixed(2)} (${row.note})`);
}
