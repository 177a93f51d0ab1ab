/**
 * The pages' session and event stream over real HTTP on loopback, without a browser: login by form sets an
 * HttpOnly SameSite=Strict cookie (a wrong token is refused and never logged); the event stream of an observer of
 * K123 carries K123's files and never a byte about K999's, until K999's are released; a client that stops
 * reading loses events (counted) instead of slowing ingestion, and is told to resync once it reads again.
 */
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import { memoryLogger, removeDir, startArchive, tempDir, waitFor, writeRawFrames, type Archive } from './_harness.js';

const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKENS: TokenEntry[] = [
  { site: 'ops', token: tok('admin'), scopes: ['admin'] },
  { site: 'k123-team', token: tok('k123'), scopes: ['read'], programs: ['K123'] },
  { site: 'k999-team', token: tok('k999'), scopes: ['read'], programs: ['K999'] },
  { site: 'pusher', token: tok('push'), scopes: ['push'] },
];
let archive: Archive;
let now = Date.parse('2027-01-10T12:00:00Z');
const logger = memoryLogger();
let dir: string;
let next = 1;

async function login(token: string): Promise<{ status: number; cookie: string | undefined; setCookie: string | undefined }> {
  const response = await fetch(`${archive.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
  const setCookie = response.headers.get('set-cookie') ?? undefined;
  return { status: response.status, setCookie, cookie: setCookie?.split(';')[0] };
}

/** An open event stream: its text so far. */
function stream(cookie: string, options: { paused?: boolean } = {}): Promise<{ text: () => string; res: IncomingMessage; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${archive.url}/ui/events`, { headers: { cookie } }, (res) => {
      let text = '';
      if (options.paused) res.pause();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      resolve({ text: () => text, res, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function ingest(program: string, count = 1): Promise<string[]> {
  const paths = writeRawFrames(join(dir, 'in'), count, { program }, next);
  next += count;
  const ids: string[] = [];
  for (const path of paths) ids.push((await archive.ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
  return (await archive.ingestor.settled(ids)).map((r) => {
    expect(r.state).toBe('ARCHIVED');
    return r.archiveId!;
  });
}

beforeAll(async () => {
  dir = tempDir('pages-live');
  archive = await startArchive({ dir, sqlite: true, server: { tokens: TOKENS, logger, now: () => now, pages: { maxBufferedBytes: 65_536 } } });
});
afterAll(async () => {
  await archive?.stop();
  if (archive) removeDir(archive.dir);
});

describe('page sessions', () => {
  it('a good token gets an HttpOnly SameSite=Strict session cookie; a bad or push-only one is refused and never logged', async () => {
    const ok = await login(tok('k123'));
    expect(ok.status).toBe(303);
    expect(ok.setCookie).toMatch(/^fits_ingest_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect((await login('not-a-real-token-0123456789abcdef')).status).toBe(401);
    expect((await login(tok('push'))).status).toBe(403);
    expect((await fetch(`${archive.url}/ui/api/files`)).status).toBe(401);
    const page = await fetch(`${archive.url}/ui/portal`, { redirect: 'manual' });
    expect([page.status, page.headers.get('location')]).toEqual([303, '/ui/login']);
    const portal = await fetch(`${archive.url}/ui/portal`, { headers: { cookie: ok.cookie! } });
    expect(portal.status).toBe(200);
    expect(portal.headers.get('content-security-policy')).toContain("script-src 'self'");
    // A login form posted from another site is refused.
    const cross = await fetch(`${archive.url}/ui/login`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${tok('k123')}` });
    expect(cross.status).toBe(403);
    expect(JSON.stringify(logger.lines)).not.toContain('not-a-real-token');
    for (const t of TOKENS) expect(JSON.stringify(logger.lines)).not.toContain(t.token!);
  });
});

describe('the event stream', () => {
  it("never carries another program's file before its release, and carries it once released", async () => {
    const k123 = (await login(tok('k123'))).cookie!;
    const k999 = (await login(tok('k999'))).cookie!;
    const admin = (await login(tok('admin'))).cookie!;
    const [a, b, c] = await Promise.all([stream(k123), stream(k999), stream(admin)]);
    const mine = await ingest('K123', 2);
    const theirs = await ingest('K999', 2);
    for (const id of mine) await waitFor(() => a.text().includes(id), `${id} on the K123 stream`);
    for (const id of theirs) await waitFor(() => b.text().includes(id), `${id} on the K999 stream`);
    for (const id of [...mine, ...theirs]) await waitFor(() => c.text().includes(id), `${id} on the admin stream`);
    await new Promise((r) => setTimeout(r, 200));
    for (const id of theirs) expect(a.text()).not.toContain(id);
    for (const id of mine) expect(b.text()).not.toContain(id);
    // In-progress states (program not known yet) reach the admin, not the observers.
    expect(c.text()).toContain('event: state');
    expect(a.text()).not.toContain('event: state');
    expect(a.text()).not.toContain('K999');

    // The release date of the night's science frames (18 months) comes: the release reaches everyone.
    now = Date.parse('2028-05-20T00:00:01Z');
    await archive.server.checkReleases();
    for (const id of theirs) await waitFor(() => a.text().includes(id), `released ${id} on the K123 stream`);
    expect(a.text()).toContain('event: released');
    for (const s of [a, b, c]) s.close();
    now = Date.parse('2027-01-10T12:00:00Z');
  });

  it('a client that stops reading loses events instead of slowing ingestion, then is told to resync', async () => {
    const admin = (await login(tok('admin'))).cookie!;
    const slow = await stream(admin, { paused: true });
    const fast = await stream(admin);
    const droppedBefore = archive.server.pages!.feed.dropped;
    const started = Date.now();
    const ingesting = ingest('K123', 40);
    // Far more than the kernel's socket buffers hold: 20,000 events of 1 kB each, 16 per turn of the event loop.
    const feed = archive.server.pages!.feed as import('../../../src/adapters/http/pages/_live.js').LiveFeed;
    const publishStart = performance.now();
    for (let i = 0; i < 20_000; i++) {
      feed.publish({ type: 'state', readable: { instrument: 'KCWI' }, data: { i, pad: 'x'.repeat(1000) } });
      if (i % 16 === 15) await new Promise((r) => setImmediate(r)); // events come in bursts, each turn flushed
    }
    const publishMs = performance.now() - publishStart;
    expect(publishMs).toBeLessThan(5000);
    const ids = await ingesting;
    const took = Date.now() - started;
    for (const id of ids) await waitFor(() => fast.text().includes(id), `${id} on the fast stream`);
    expect(archive.server.pages!.feed.dropped).toBeGreaterThan(droppedBefore);
    expect(took).toBeLessThan(30_000);
    slow.res.resume();
    await waitFor(() => slow.text().includes('event: resync'), 'the resync event');
    slow.close();
    fast.close();
  });
});
