/**
 * Shared by the ingestion and keyword benches: frames appear in a folder at a steady pace (written to a temp name
 * and renamed, so "file complete" has a precise instant) and the latency of each from that instant to the
 * ingestor's ARCHIVED event is measured, with the filesystem trigger or the keyword trigger.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinInstrument, builtinInstruments, createIngestor } from '../dist/index.js';
import { createSqliteCatalog } from '../dist/catalogs/sqlite.js';
import { createZeromqKeywordSource } from '../dist/keyword-sources/zeromq.js';
import { createFilesystemTransport } from '../dist/transports/filesystem.js';
import { createFilesystemTrigger } from '../dist/triggers/filesystem.js';
import { createKeywordTrigger } from '../dist/triggers/keyword.js';
import { frameHeader, frameName, makeFrame, startInstrumentKeywords } from '../dist/simulator/index.js';

export const BENCH = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.bench');
export const START = Date.UTC(2026, 10, 20, 6, 0, 0);
export const MB = 1e6;

/** The p-th percentile (0–100) of sorted numbers. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Frame options of frame `n` (one minute apart, KCWI blue). */
export function frameOptions(n, axes) {
  return { time: new Date(START + n * 61_000 + n * 10), frameNumber: n, camera: 'BLUE', axes };
}

/**
 * Writes frame `n` at `path` (via `path.part` + rename): small frames with the simulator's pixels, big ones with
 * a fast repeating pattern under the same header.
 */
export function writeFrame(path, n, axes) {
  const options = frameOptions(n, axes);
  const fd = openSync(`${path}.part`, 'w');
  const dataBytes = axes[0] * axes[1] * 2;
  if (dataBytes < 50 * MB) writeSync(fd, makeFrame(options));
  else {
    writeSync(fd, frameHeader(options).toBytes());
    const pattern = Buffer.alloc(8 << 20);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 2654435761 + n * 97) >>> 24;
    for (let done = 0; done < dataBytes; done += pattern.length) writeSync(fd, pattern, 0, Math.min(pattern.length, dataBytes - done));
    const fill = (2880 - (dataBytes % 2880)) % 2880;
    if (fill) writeSync(fd, Buffer.alloc(fill));
  }
  closeSync(fd);
  renameSync(`${path}.part`, path);
}

/**
 * One run: `count` frames of `axes` (16-bit), one every `gapMs`, with the `filesystem` or `keyword` trigger and
 * the given engine settings; returns the sorted latencies (ms).
 */
export async function watchLatency(trigger, settings, { count, gapMs, first = 1, axes = [724, 724], label = trigger }) {
  const dir = join(BENCH, `watch-${label}`);
  const incoming = join(dir, 'incoming');
  const archive = join(dir, 'archive');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(incoming, { recursive: true });
  mkdirSync(archive, { recursive: true });
  const instruments = builtinInstruments();
  let keywords;
  let triggers;
  if (trigger === 'keyword') {
    keywords = await startInstrumentKeywords();
    const source = createZeromqKeywordSource({ endpoint: keywords.endpoint, requestEndpoint: keywords.requestEndpoint });
    triggers = [createKeywordTrigger({ source, instrument: builtinInstrument('kcwi'), roots: [incoming] })];
  } else {
    triggers = [createFilesystemTrigger({ paths: [incoming], debounceMs: settings.debounceMs })];
  }
  const ingestor = createIngestor({
    instruments,
    catalog: createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...instruments] }),
    triggers,
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(archive, '.staging'),
    ...settings.engine,
  });
  const written = new Map();
  const latencies = [];
  const failures = [];
  const done = new Promise((resolveDone) => {
    const finish = () => latencies.length + failures.length === count && resolveDone();
    ingestor.on('archived', (record) => {
      latencies.push(performance.now() - written.get(record.source));
      finish();
    });
    for (const event of ['invalid', 'duplicate', 'abandoned']) ingestor.on(event, (record) => (failures.push(`${record.source}: ${record.state}`), finish()));
  });
  await ingestor.start();
  if (keywords) await keywords.publisher.waitForSubscriber('kbds.LOUTFILE');
  for (let n = first; n < first + count; n++) {
    const path = join(incoming, frameName(frameOptions(n, axes)));
    writeFrame(path, n, axes);
    written.set(path, performance.now());
    await keywords?.announce({ camera: 'BLUE' }, path);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 120_000))]);
  await ingestor.stop();
  await ingestor.catalog.close();
  await keywords?.close();
  rmSync(dir, { recursive: true, force: true });
  if (latencies.length !== count) throw new Error(`${label}: ${latencies.length} of ${count} archived; ${failures.join('; ')}`);
  return latencies.sort((a, b) => a - b);
}
