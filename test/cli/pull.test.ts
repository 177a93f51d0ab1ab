/**
 * `fits-ingest pull` against a real ingest server on loopback, through a proxy that cuts and slows downloads:
 * every file of the program arrives once, verified, resumed with Range after a cut connection (never restarted from
 * byte 0), and after the puller is SIGKILLed mid-file and restarted with --follow it picks up where it stopped and
 * takes the files archived meanwhile. Another program's files never arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../src/adapters/http/server.js';
import { removeDir, startArchive, tempDir, waitFor, writeRawFrames, type Archive } from '../adapters/http/_harness.js';
import { cli } from '../helpers/cli.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const TOKEN = 'k123-pull-token-0123456789abcdef';
const TOKENS: TokenEntry[] = [{ site: 'k123-team', token: TOKEN, scopes: ['read'], programs: ['K123'] }];
const NIGHT = '2026-11-20';
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A proxy that logs content requests and the body bytes sent back for each, and can cut or slow downloads. */
interface PullProxy {
  url: string;
  requests: { archiveId: string; from: number }[];
  bytes: Map<string, number>;
  /** Cut the next N download connections after this many bytes from the server. */
  cut: { count: number; after: number };
  /** Bytes per 50 ms sent back, 0 = unlimited. */
  rate: number;
  close(): Promise<void>;
}

async function startPullProxy(port: number): Promise<PullProxy> {
  const sockets = new Set<Socket>();
  const proxy: PullProxy = {
    url: '',
    requests: [],
    bytes: new Map(),
    cut: { count: 0, after: 0 },
    rate: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let current: string | undefined;
    let sent = 0;
    let cutAfter = Infinity;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      for (const m of text.matchAll(/GET \/v1\/files\/([^/ ]+)\/content HTTP\/1\.1\r\n([\s\S]*?)\r\n\r\n/g)) {
        current = decodeURIComponent(m[1]!);
        const range = /\r?\nrange: bytes=(\d+)-/i.exec(`\n${m[2]}`);
        proxy.requests.push({ archiveId: current, from: range ? Number(range[1]) : 0 });
        sent = 0;
        if (proxy.cut.count > 0) {
          proxy.cut.count--;
          cutAfter = proxy.cut.after;
        }
      }
      upstream.write(chunk);
    });
    const queue: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      let budget = proxy.rate || Infinity;
      while (queue.length && budget > 0) {
        let chunk = queue.shift()!;
        if (chunk.length > budget) {
          queue.unshift(chunk.subarray(budget));
          chunk = chunk.subarray(0, budget);
        }
        budget -= chunk.length;
        forward(chunk);
      }
      timer = queue.length ? setTimeout(pump, 50) : undefined;
    };
    const forward = (chunk: Buffer) => {
      if (current) proxy.bytes.set(current, (proxy.bytes.get(current) ?? 0) + chunk.length);
      sent += chunk.length;
      if (client.destroyed) return;
      client.write(chunk);
      if (sent > cutAfter) {
        cutAfter = Infinity;
        client.destroy();
        upstream.destroy();
      }
    };
    upstream.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      if (!timer) pump();
    });
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', () => (queue.length ? undefined : end())).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

let archive: Archive;
let proxy: PullProxy;
let dir: string;
let frame = 1;
const children: ChildProcess[] = [];

async function ingest(program: string, count: number): Promise<string[]> {
  const paths = writeRawFrames(join(dir, 'in'), count, { program, axes: [1024, 1024] }, frame);
  frame += count;
  const ids = [];
  for (const path of paths) ids.push((await archive.ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
  return (await archive.ingestor.settled(ids)).map((r) => r.archiveId!);
}
const pulled = (to: string) => (existsSync(join(to, NIGHT)) ? readdirSync(join(to, NIGHT)).sort() : []);

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  dir = tempDir('pull');
  archive = await startArchive({ dir, sqlite: true, server: { tokens: TOKENS } });
  proxy = await startPullProxy(archive.listening.port);
  await ingest('K123', 3);
  await ingest('K999', 1);
}, 60_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await proxy?.close();
  await archive?.stop();
  if (archive) removeDir(archive.dir);
});

describe('fits-ingest pull', () => {
  it('connections cut mid-file: each file resumes with Range and arrives once, verified; another program never', async () => {
    const to = join(dir, 'cut');
    proxy.cut = { count: 3, after: 700_000 };
    const result = await cli('pull', '--from', proxy.url, '--program', 'K123', '--night', NIGHT, '--to', to, '--token', TOKEN, '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('retrying');
    const k123 = await archive.catalog.findArchived({ program: 'K123' });
    expect(pulled(to)).toEqual(k123.map((f) => `${f.archiveId}.fits`).sort());
    for (const f of k123) expect(sha(join(to, NIGHT, `${f.archiveId}.fits`))).toBe(f.sha256);
    expect(result.lines).toHaveLength(3);
    // Resumed, not restarted: after a cut the next request starts where the bytes stopped.
    expect(proxy.requests.filter((r) => r.from > 0).length).toBeGreaterThanOrEqual(3);
    for (const f of k123) expect(proxy.requests.filter((r) => r.archiveId === f.archiveId && r.from === 0)).toHaveLength(1);
    // Run again: nothing is downloaded twice.
    const before = proxy.requests.length;
    const again = await cli('pull', '--from', proxy.url, '--program', 'K123', '--night', NIGHT, '--to', to, '--token', TOKEN);
    expect([again.code, again.stdout]).toEqual([0, '']);
    expect(proxy.requests.length).toBe(before);
  });

  it('killed mid-file and restarted with --follow: picks up where it stopped and takes new files, each once', async () => {
    const to = join(dir, 'follow');
    proxy.requests.length = 0;
    proxy.bytes.clear();
    proxy.rate = 40_000; // 800 kB/s: a 2 MB file takes ~2.6 s
    const args = [BIN, 'pull', '--from', proxy.url, '--program', 'K123', '--night', NIGHT, '--to', to, '--follow', '--interval', '0.2'];
    const env = { ...process.env, FITS_INGEST_TOKEN: TOKEN };
    const first = spawn(process.execPath, args, { env, stdio: 'ignore' });
    children.push(first);
    const partial = join(to, '.partial');
    await waitFor(() => existsSync(partial) && readdirSync(partial).some((p) => statSync(join(partial, p)).size > 300_000), 'a partial download', 20_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const [part] = readdirSync(partial);
    const partSize = statSync(join(partial, part!)).size;

    proxy.rate = 0;
    const second = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(second);
    let out = '';
    second.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const fresh = await ingest('K123', 2);
    const k123 = await archive.catalog.findArchived({ program: 'K123' });
    expect(k123).toHaveLength(5);
    await waitFor(() => pulled(to).length === 5, 'all five K123 files', 30_000);
    second.kill('SIGTERM');
    const code = await new Promise((resolve) => second.once('exit', resolve));
    expect(code).toBe(0);

    expect(pulled(to)).toEqual(k123.map((f) => `${f.archiveId}.fits`).sort());
    for (const f of k123) expect(sha(join(to, NIGHT, `${f.archiveId}.fits`))).toBe(f.sha256);
    for (const id of fresh) expect(out).toContain(id);
    const state = JSON.parse(readFileSync(join(to, '.fits-pull.json'), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(state.files).sort()).toEqual(k123.map((f) => f.archiveId).sort());
    // The interrupted file resumed from its partial bytes; no file was requested from byte 0 twice.
    const interrupted = part!.replace(/\.fits\.part$/, '');
    expect(proxy.requests.some((r) => r.archiveId === interrupted && r.from === partSize)).toBe(true);
    for (const f of k123) expect(proxy.requests.filter((r) => r.archiveId === f.archiveId && r.from === 0).length).toBeLessThanOrEqual(1);
    // Bytes sent for each file: its size (plus at most what was in flight when the first process died).
    for (const f of k123) expect(proxy.bytes.get(f.archiveId) ?? 0).toBeLessThan(f.size + 1_000_000);
  }, 90_000);
});
