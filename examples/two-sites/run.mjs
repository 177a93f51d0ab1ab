#!/usr/bin/env node
/**
 * Two sites on one machine, over HTTP on loopback (run `npm run build` first, then `node examples/two-sites/run.mjs`):
 *
 * - site B, the archive, is a second process: `fits-ingest serve` with its SQLite catalog and a tokens file that
 *   knows site A's token (by its SHA-256) and where to call A back;
 * - site A, the observatory, is this process: it watches a folder, normalizes each new frame, and ships it to B
 *   with the HTTP transport, which waits for B's verdict; it also runs the receiver of B's signed callbacks.
 *
 * A simulated instrument writes frames into A's folder. The script prints what happened to each one and exits 0
 * when every frame was archived by B, confirmed to A, and called back — or 1 (with the reason) otherwise.
 * Options: `--frames N` (default 8), `--dir DIR` (default: a new temp dir, removed at the end unless --keep).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { builtinInstruments, createIngestor } from 'fits-ingest';
import { createSqliteCatalog } from 'fits-ingest/catalogs/sqlite';
import { frameName, makeFrame } from 'fits-ingest/simulator';
import { createHttpTransport, createWebhookHandler } from 'fits-ingest/transports/http';
import { createFilesystemTrigger } from 'fits-ingest/triggers/filesystem';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');
const { values } = parseArgs({ options: { frames: { type: 'string', default: '8' }, dir: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const frames = Number(values.frames);
const dir = values.dir ? resolve(values.dir) : mkdtempSync(join(tmpdir(), 'fits-ingest-two-sites-'));
const say = (text) => console.log(text);
const deadline = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms).unref());

// Secrets made for this run; B's tokens file holds only the token's digest.
const token = randomBytes(24).toString('hex');
const secret = randomBytes(24).toString('hex');
const siteA = join(dir, 'site-a');
const siteB = join(dir, 'site-b');
mkdirSync(join(siteA, 'incoming'), { recursive: true });
mkdirSync(siteB, { recursive: true });

// A's callback receiver: verifies B's signature, keeps one event per delivery.
const callbacks = new Map();
const receiver = createServer(createWebhookHandler({ secret, onEvent: (p) => void callbacks.set(p.status.archiveId, p) }));
await new Promise((ready) => receiver.listen(0, '127.0.0.1', ready));
const callbackUrl = `http://127.0.0.1:${receiver.address().port}/fits-ingest`;

const sha256 = createHash('sha256').update(token).digest('hex');
writeFileSync(join(siteB, 'tokens.json'), JSON.stringify({
  tokens: [{ site: 'site-a', sha256, scopes: ['push', 'read'], instruments: ['KCWI'], callback: { url: callbackUrl, secret } }],
}, null, 2));

// Site B: a second process.
const b = spawn(process.execPath, [cli, 'serve', '--archive', join(siteB, 'archive'), '--port', '0', '--tokens', join(siteB, 'tokens.json'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const bExit = new Promise((done) => b.on('exit', (code, signal) => done(signal ?? code)));
const url = await Promise.race([
  new Promise((found) => {
    let buffer = '';
    b.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      for (const line of buffer.split('\n').slice(0, -1)) if (line.includes('"listening"')) found(JSON.parse(line).url);
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
  }),
  bExit.then((code) => Promise.reject(new Error(`site B exited (${code}) before listening`))),
  deadline(20_000, 'site B to listen'),
]);
say(`site B (pid ${b.pid}) archives at ${url}; site A watches ${join(siteA, 'incoming')}`);

// Site A: watch, normalize, ship to B and wait for B's verdict.
const archivedAtA = new Map();
const ingestor = createIngestor({
  instruments: builtinInstruments(),
  catalog: createSqliteCatalog({ path: join(siteA, 'catalog.sqlite'), instruments: [...builtinInstruments()] }),
  triggers: [createFilesystemTrigger({ paths: [join(siteA, 'incoming')], instrument: 'KCWI' })],
  transports: [createHttpTransport({ url, token })],
  staging: join(siteA, 'staging'),
  stability: { quietMs: 300 },
});
ingestor.on('archived', (record) => archivedAtA.set(record.archiveId, record));
ingestor.on('invalid', (r) => say(`site A: ${r.originalName} INVALID ${r.error?.code}: ${r.error?.message}`));
ingestor.on('failed', (r) => say(`site A: ${r.originalName} failed (${r.error?.code}), retrying`));
await ingestor.start();

let ok = false;
try {
  // The instrument writes its frames.
  for (let i = 1; i <= frames; i++) {
    const options = { time: new Date(Date.UTC(2026, 10, 20, 8, 30 + i, 15, 50)), frameNumber: i, axes: [256, 256], kind: i <= 2 ? 'bias' : 'object' };
    writeFileSync(join(siteA, 'incoming', frameName(options)), makeFrame(options));
  }
  const all = async () => {
    while (archivedAtA.size < frames || callbacks.size < frames) await new Promise((tick) => setTimeout(tick, 50));
  };
  await Promise.race([all(), deadline(60_000, `${frames} frames to round-trip`)]);

  // Ask B what it holds, with its timing metrics.
  const night = await (await fetch(`${url}/v1/nights/2026-11-20`, { headers: { authorization: `Bearer ${token}` } })).json();
  say('\nframe                 archive id              at A      at B      received→archived  callback');
  for (const [archiveId, record] of [...archivedAtA].sort()) {
    const atB = night.files.find((f) => f.archiveId === archiveId);
    const callback = callbacks.get(archiveId);
    say(`${record.originalName.padEnd(21)} ${archiveId.padEnd(23)} ${record.state.padEnd(9)} ${(atB?.state ?? 'missing').padEnd(9)} ${String(atB?.metrics.receiveToArchiveMs ?? '-').padStart(8)} ms        ${callback?.event ?? 'none'}`);
  }
  const problems = [];
  if (night.counts.ARCHIVED !== frames) problems.push(`site B holds ${night.counts.ARCHIVED} archived files, expected ${frames}`);
  for (const [archiveId] of archivedAtA) {
    const atB = night.files.find((f) => f.archiveId === archiveId);
    if (atB?.state !== 'ARCHIVED') problems.push(`${archiveId} is ${atB?.state ?? 'unknown'} at site B`);
    if (callbacks.get(archiveId)?.event !== 'archived') problems.push(`${archiveId}: no "archived" callback`);
  }
  ok = problems.length === 0;
  say(ok ? `\nall ${frames} frames round-tripped: archived by B, confirmed to A, called back (signed)` : `\nPROBLEMS:\n  ${problems.join('\n  ')}`);
} catch (error) {
  say(`two-sites: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await ingestor.stop();
  await ingestor.catalog.close();
  receiver.close();
  b.kill('SIGTERM');
  const code = await Promise.race([bExit, deadline(15_000, 'site B to stop').catch(() => 'timeout')]);
  if (code !== 0) {
    ok = false;
    say(`site B stopped with ${code}`);
    if (code === 'timeout') b.kill('SIGKILL');
  }
  if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
  else say(`files kept in ${dir}`);
}
process.exit(ok ? 0 : 1);
