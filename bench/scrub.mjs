#!/usr/bin/env node
/**
 * Scrub: (1) `fits-ingest scrub` re-verifying an archive (SHA-256 + every HDU's DATASUM/CHECKSUM, one read per
 * copy) against `sha256sum` of the same files in the same run; (2) `fits-ingest ingest` throughput with a
 * rate-capped scrub running on another archive of the same disk vs without it (goal ≥ 0.8). Run `npx tsup`
 * first, then `node bench/scrub.mjs` (or `npm run bench -- scrub`).
 *
 * - Frames: `SCRUB_BENCH_FRAMES` (default 40) simulated KCWI frames of `SCRUB_BENCH_AXES` (default 2048, i.e.
 *   2048×2048 int16 ≈ 8 MB) under `.bench/`, ingested once to make the archive the scrub reads.
 * - Every contender runs in its own process under /usr/bin/time; its peak resident set is printed beside it.
 * - The page cache is warmed before the scrub/sha256sum rounds (best of 2 each): both read cached bytes, so the
 *   figure compares the work per byte, not the disk.
 * - Ingest with the scrub: the same frames are ingested into a fresh archive alone, then again into another fresh
 *   archive while `scrub --rate SCRUB_BENCH_RATE` (default 100MB/s) re-reads the first archive in a loop.
 * - Rate cap (`SCRUB_BENCH_RATE_CAP_SECONDS`, default 30; 0 skips it): one `scrub --rate R --for Ns` run whose
 *   rate R is set so that the pass outlasts N seconds (R = archive bytes / 1.2 N); the rate it held over the whole
 *   run (bytes read / elapsed, process start excluded) is compared with R (goal within ±10%).
 * - In the ingestor (`SCRUB_BENCH_PARTS=watch`): what `watch`/`serve --scrub-rate` do — one process ingests every
 *   frame (submitted at once, 4 at a time) into a fresh archive alone, then into another while a continuous scrub at
 *   SCRUB_BENCH_RATE re-reads archive A in the same process, waiting whenever the ingestor has work.
 * - `SCRUB_BENCH_PARTS` (default `speed,ingest,ratecap,watch`): which parts to run, e.g. `ratecap` alone.
 *
 * `main()` returns rows `{ name, value, unit, reference, ratio, note }` for bench/run.mjs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { frameName, makeFrame } from '../dist/simulator/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'cli', 'main.js');
const MB = 1e6;

/** Runs a command under /usr/bin/time: seconds, peak RSS (MB) and stdout; throws on a failing exit. */
function timed(command, args, okCodes = [0]) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (!okCodes.includes(r.status)) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { seconds, rssMB: Number(r.stderr.trim().split('\n').at(-1)) / 1024, stdout: r.stdout };
}

function fitsUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...fitsUnder(path));
    else if (entry.name.endsWith('.fits')) out.push(path);
  }
  return out;
}

/** Ingest in one process alone, then with the in-process scrub that yields to the ingestor (as --scrub-rate does). */
async function inIngestor(frames, archiveA, dir, rate, shape, mbs) {
  const { builtinInstruments, createIngestor } = await import('../dist/index.js');
  const { createSqliteCatalog } = await import('../dist/catalogs/sqlite.js');
  const { createFilesystemTransport } = await import('../dist/transports/filesystem.js');
  const { scrub, memoryCursor, parseRate } = await import('../dist/scrub/index.js');
  const paths = readdirSync(frames).map((n) => join(frames, n));
  const run = async (archive, withScrub) => {
    mkdirSync(archive);
    const ingestor = createIngestor({
      instruments: builtinInstruments(),
      catalog: createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...builtinInstruments()] }),
      transports: [createFilesystemTransport({ root: archive })],
      staging: join(archive, '.staging'),
      concurrency: 4,
    });
    await ingestor.start();
    const controller = new AbortController();
    let scrubbed;
    let scrubRun;
    if (withScrub) {
      const catalogA = createSqliteCatalog({ path: join(archiveA, 'catalog.sqlite') });
      await catalogA.init();
      scrubRun = scrub({
        catalog: catalogA,
        archive: archiveA,
        rate: parseRate(rate, 'rate'),
        continuous: true,
        passIntervalMs: 0,
        cursor: memoryCursor(),
        isBusy: () => {
          const load = ingestor.load();
          return load.running + load.queued > 0;
        },
        signal: controller.signal,
        onProgress: (p) => (scrubbed = p),
      })
        .catch(() => undefined)
        .finally(() => catalogA.close());
      await new Promise((r) => setTimeout(r, 300)); // the scrub is reading before ingestion starts
    }
    const t = process.hrtime.bigint();
    const ids = [];
    for (const path of paths) ids.push((await ingestor.submit({ path, trigger: 'bench', detectedAt: Date.now(), complete: true })).record.id);
    const done = await ingestor.settled(ids);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (done.some((r) => r.state !== 'ARCHIVED')) throw new Error('a frame was not archived');
    controller.abort();
    await scrubRun;
    await ingestor.stop();
    await ingestor.catalog.close();
    return { seconds, scrubbedMB: scrubbed ? scrubbed.bytes / MB : 0 };
  };
  const alone = await run(join(dir, 'w1'), false);
  const withScrub = await run(join(dir, 'w2'), true);
  return {
    name: `ingest in one process with the background scrub at ${rate} (as watch --scrub-rate) vs alone`,
    value: mbs(withScrub.seconds),
    unit: 'MB/s',
    reference: mbs(alone.seconds),
    ratio: alone.seconds / withScrub.seconds,
    note: `${shape}; goal ≥ 0.8; the scrub read ${withScrub.scrubbedMB.toFixed(0)} MB meanwhile (it waits while the ingestor has work); peak RSS of the process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  };
}

export async function main() {
  const count = Number(process.env.SCRUB_BENCH_FRAMES ?? 40);
  const side = Number(process.env.SCRUB_BENCH_AXES ?? 2048);
  const rate = process.env.SCRUB_BENCH_RATE ?? '100MB/s';
  mkdirSync(join(root, '.bench'), { recursive: true });
  const dir = mkdtempSync(join(root, '.bench', 'scrub-'));
  try {
    const frames = join(dir, 'frames');
    mkdirSync(frames);
    for (let n = 1; n <= count; n++) {
      const options = { time: new Date(Date.UTC(2026, 10, 20, 5, 0, 0) + n * 61_000), frameNumber: n, axes: [side, side] };
      writeFileSync(join(frames, frameName(options)), makeFrame(options));
    }
    const a = join(dir, 'a');
    const made = timed(process.execPath, [CLI, 'ingest', frames, '--archive', a, '--assume-complete']);
    const files = fitsUnder(a);
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const listFile = join(dir, 'files.txt');
    writeFileSync(listFile, files.join('\n'));

    const parts = new Set((process.env.SCRUB_BENCH_PARTS ?? 'speed,ingest,ratecap,watch').split(','));
    const rows = [];
    const mbs = (s) => bytes / MB / s;
    const shape = `${count} frames of ${(bytes / count / MB).toFixed(1)} MB (${(bytes / 1e9).toFixed(2)} GB)`;
    const capSeconds = Number(process.env.SCRUB_BENCH_RATE_CAP_SECONDS ?? 30);
    if (parts.has('ratecap') && capSeconds > 0) {
      const cap = Math.floor(bytes / (1.2 * capSeconds));
      const run = timed(process.execPath, [CLI, 'scrub', '--archive', a, '--rate', String(cap), '--for', `${capSeconds}s`, '--json'], [0, 1]);
      const summary = JSON.parse(run.stdout.trim().split('\n').at(-1));
      const held = summary.bytes / (summary.elapsedMs / 1000);
      rows.push({
        name: `scrub rate cap over a ${capSeconds} s run`,
        value: held / MB,
        unit: 'MB/s',
        reference: cap / MB,
        ratio: held / cap,
        note: `${shape}; --rate ${cap} B/s --for ${capSeconds}s: read ${(summary.bytes / MB).toFixed(0)} MB in ${(summary.elapsedMs / 1000).toFixed(1)} s (pass complete: ${summary.complete}); goal ratio 0.9–1.1; peak RSS ${run.rssMB.toFixed(0)} MB`,
      });
    }
    if (parts.has('watch')) rows.push(await inIngestor(frames, a, dir, rate, shape, mbs));
    if (!parts.has('speed') && !parts.has('ingest')) return rows;

    spawnSync('sync');
    for (const f of files) readFileSync(f); // warm the page cache
    const best = { scrub: { seconds: Infinity, rssMB: 0 }, sha: { seconds: Infinity, rssMB: 0 } };
    for (let round = 0; round < 2; round++) {
      const s = timed(process.execPath, [CLI, 'scrub', '--archive', a, '--json']);
      const summary = JSON.parse(s.stdout.trim().split('\n').at(-1));
      if (!summary.ok || summary.verified !== files.length) throw new Error(`scrub did not verify every copy: ${JSON.stringify(summary)}`);
      const h = timed('sh', ['-c', `xargs -a ${JSON.stringify(listFile)} -d '\\n' sha256sum > /dev/null`]);
      for (const [k, v] of [['scrub', s], ['sha', h]]) {
        best[k].seconds = Math.min(best[k].seconds, v.seconds);
        best[k].rssMB = Math.max(best[k].rssMB, v.rssMB);
      }
    }

    // Ingest alone, then with the scrub re-reading archive a at the capped rate.
    const alone = timed(process.execPath, [CLI, 'ingest', frames, '--archive', join(dir, 'b'), '--assume-complete']);
    let scrubbing = true;
    let scrubPeak = 0;
    const loop = (async () => {
      while (scrubbing) {
        // Short runs (--for 2s) resuming from the cursor, so the loop ends soon after ingestion without a kill.
        const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'scrub', '--archive', a, '--rate', rate, '--for', '2s', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        await new Promise((r) => child.on('close', r));
        const kb = Number(err.trim().split('\n').at(-1));
        if (Number.isFinite(kb)) scrubPeak = Math.max(scrubPeak, kb / 1024);
      }
    })();
    await new Promise((r) => setTimeout(r, 300)); // the scrub is reading before ingestion starts
    const withScrub = await new Promise((resolveRun) => {
      const t = process.hrtime.bigint();
      const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'ingest', frames, '--archive', join(dir, 'c'), '--assume-complete'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => {
        if (code !== 0) throw new Error(`ingest with scrub exited ${code}: ${err.slice(-2000)}`);
        resolveRun({ seconds: Number(process.hrtime.bigint() - t) / 1e9, rssMB: Number(err.trim().split('\n').at(-1)) / 1024 });
      });
    });
    scrubbing = false;
    await loop;

    return [
      ...rows,
      {
        name: 'scrub (SHA-256 + FITS sums, page cache warm) vs sha256sum',
        value: mbs(best.scrub.seconds),
        unit: 'MB/s',
        reference: mbs(best.sha.seconds),
        ratio: best.sha.seconds / best.scrub.seconds,
        note: `${shape}, best of 2, process start and catalog reads included; peak RSS scrub ${best.scrub.rssMB.toFixed(0)} MB, sha256sum ${best.sha.rssMB.toFixed(0)} MB`,
      },
      {
        name: `ingest with a scrub at ${rate} running vs ingest alone`,
        value: mbs(withScrub.seconds),
        unit: 'MB/s',
        reference: mbs(alone.seconds),
        ratio: alone.seconds / withScrub.seconds,
        note: `${shape}; goal ≥ 0.8; peak RSS ingest ${withScrub.rssMB.toFixed(0)} MB (alone ${alone.rssMB.toFixed(0)} MB), scrub ${scrubPeak.toFixed(0)} MB; first ingest ${mbs(made.seconds).toFixed(0)} MB/s`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${row.value.toFixed(0)} ${row.unit} vs ${row.reference.toFixed(0)} → ratio ${row.ratio.toFixed(2)} (${row.note})`);
}
