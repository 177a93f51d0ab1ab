/**
 * A PI grants collaborators, over real HTTP on loopback with an SQLite catalog and an injected clock (before the
 * release date): who may grant is the tokens file's `pi`, never the request; a granted site then reads the
 * program's proprietary files on every read path (file, content, night listing, catalog, event feed, the pages'
 * list and an event stream already open), and after a revocation none of them, the stream included. Grants
 * survive a restart of the server.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import { removeDir, startArchive, tempDir, waitFor, writeRawFrames, type Archive } from './_harness.js';

const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKENS: TokenEntry[] = [
  { site: 'k123-pi', token: tok('k123pi'), scopes: ['read'], programs: ['K123'], pi: ['K123'], email: 'pi@k123.example.org' },
  { site: 'bob-lab', token: tok('bob'), scopes: ['read'], programs: ['K555'] },
  { site: 'k123-student', token: tok('student'), scopes: ['read'], programs: ['K123'] },
  { site: 'k999-pi', token: tok('k999pi'), scopes: ['read'], programs: ['K999'], pi: ['K999'] },
  { site: 'ops', token: tok('admin'), scopes: ['admin'] },
];
const NOW = Date.parse('2027-01-10T12:00:00Z'); // KCWI frames of 2026-11-20 are proprietary until 2028-05-20

let dir: string;
let archive: Archive;
let k123: string;
let k999: string;
const start = () => startArchive({ dir, sqlite: true, server: { tokens: TOKENS, now: () => NOW, pages: true } });
const call = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${archive.url}${path}`, { method, headers: { authorization: `Bearer ${tok(token)}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
const grant = (token: string, program: string, site: string) => call('POST', `/v1/programs/${program}/collaborators`, token, { site });

/** What `token` sees of the K123 frame on every read path, as a list of what answered. */
async function seen(token: string, cookie: string): Promise<string[]> {
  const found: string[] = [];
  if ((await call('GET', `/v1/files/${k123}`, token)).status === 200) found.push('file');
  if ((await call('GET', `/v1/files/${k123}/content`, token)).status === 200) found.push('content');
  const night = (await (await call('GET', '/v1/nights/2026-11-20', token)).json()) as { files: { archiveId: string }[] };
  if (night.files.some((f) => f.archiveId === k123)) found.push('night');
  const catalog = (await (await call('GET', '/v1/catalog?instrument=KCWI', token)).json()) as { files: { archiveId: string }[] };
  if (catalog.files.some((f) => f.archiveId === k123)) found.push('catalog');
  const events = (await (await call('GET', '/v1/events?after=0&limit=1000', token)).json()) as { events: { archiveId: string | null }[] };
  if (events.events.some((e) => e.archiveId === k123)) found.push('events');
  const pages = (await (await fetch(`${archive.url}/ui/api/files?night=2026-11-20`, { headers: { cookie } })).json()) as { files: { archiveId: string }[] };
  if (pages.files.some((f) => f.archiveId === k123)) found.push('pages');
  if ((await fetch(`${archive.url}/ui/files/${k123}/content`, { headers: { cookie } })).status === 200) found.push('page download');
  return found;
}
const ALL = ['file', 'content', 'night', 'catalog', 'events', 'pages', 'page download'];

async function login(token: string): Promise<string> {
  const response = await fetch(`${archive.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tok(token) }).toString() });
  return response.headers.get('set-cookie')!.split(';')[0]!;
}
/** An open page event stream: its text so far. */
function stream(cookie: string): Promise<{ text: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${archive.url}/ui/events`, { headers: { cookie } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      resolve({ text: () => text, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}
let frame = 1;
async function ingest(program: string): Promise<string> {
  const [path] = writeRawFrames(join(dir, 'in'), 1, { program }, frame++);
  const { record } = await archive.ingestor.submit({ path: path!, trigger: 'test', detectedAt: Date.now(), complete: true });
  const [done] = await archive.ingestor.settled([record.id]);
  expect(done!.state).toBe('ARCHIVED');
  return done!.archiveId!;
}

beforeAll(async () => {
  dir = tempDir('grants');
  archive = await start();
  k123 = await ingest('K123');
  k999 = await ingest('K999');
}, 60_000);

afterAll(async () => {
  await archive?.stop();
  removeDir(dir);
});

describe('a PI grants collaborators', () => {
  it('only the PI of the program (or an admin) may grant; a program member, another PI or a client-declared field may not', async () => {
    expect((await grant('student', 'K123', 'bob-lab')).status).toBe(403); // a member of K123, not its PI
    expect((await grant('k999pi', 'K123', 'bob-lab')).status).toBe(403); // the PI of another program
    expect((await grant('bob', 'K123', 'bob-lab')).status).toBe(403); // granting oneself
    // Extra fields claiming ownership are refused, not believed.
    expect((await call('POST', '/v1/programs/K123/collaborators', 'bob', { site: 'bob-lab', pi: 'K123' })).status).toBe(400);
    expect((await grant('k123pi', 'K123', 'nobody-here')).status).toBe(400); // no such site in the tokens file
    expect((await call('GET', '/v1/programs/K123/collaborators', 'bob')).status).toBe(403);
    expect(await archive.catalog.programGrants!()).toEqual([]);
  });

  it('a granted site reads the program on every read path, an open event stream included; a revocation takes it all back', async () => {
    const cookie = await login('bob');
    expect(await seen('bob', cookie)).toEqual([]);
    const live = await stream(cookie);

    const granted = await grant('k123pi', 'k123', 'bob-lab');
    expect(granted.status).toBe(201);
    expect(await granted.json()).toEqual({ program: 'K123', site: 'bob-lab', added: true });
    expect((await grant('k123pi', 'K123', 'bob-lab')).status).toBe(200);
    const list = (await (await call('GET', '/v1/programs/K123/collaborators', 'k123pi')).json()) as { collaborators: unknown[] };
    expect(list.collaborators).toEqual([{ program: 'K123', site: 'bob-lab', grantedBy: 'pi:k123-pi', grantedAt: new Date(NOW).toISOString() }]);
    expect(await seen('bob', cookie)).toEqual(ALL);
    // Still not the other program's files.
    expect((await call('GET', `/v1/files/${k999}`, 'bob')).status).toBe(404);

    // The stream opened before the grant carries the program's next file, never K999's.
    const next = await ingest('K123');
    const other = await ingest('K999');
    await waitFor(() => live.text().includes(next), 'the granted file on the open stream', 10_000);
    expect(live.text()).not.toContain(other);

    expect((await call('DELETE', '/v1/programs/K123/collaborators/bob-lab', 'k123pi')).status).toBe(204);
    expect((await call('DELETE', '/v1/programs/K123/collaborators/bob-lab', 'k123pi')).status).toBe(404);
    expect(await seen('bob', cookie)).toEqual([]);
    const after = await ingest('K123');
    // The stream goes on (a K999 frame's events reach nobody here) but says nothing of K123's new file.
    await waitFor(async () => (await archive.catalog.getArchived(after)) !== undefined, 'archived');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.text()).not.toContain(after);
    live.close();
    const history = await archive.catalog.history((await archive.catalog.getArchived(k123))!.recordId);
    expect(history.some((h) => h.cause === 'RELEASE')).toBe(false);
  }, 60_000);

  it('an admin may grant too, and grants survive a restart', async () => {
    expect((await grant('admin', 'K999', 'bob-lab')).status).toBe(201);
    await archive.stop();
    archive = await start();
    expect((await call('GET', `/v1/files/${k999}`, 'bob')).status).toBe(200);
    expect((await call('GET', `/v1/files/${k123}`, 'bob')).status).toBe(404);
    expect((await archive.catalog.programGrants!()).map((g) => [g.program, g.site, g.grantedBy])).toEqual([['K999', 'bob-lab', 'operator:ops']]);
  }, 60_000);
});
