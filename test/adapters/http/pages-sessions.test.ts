/**
 * Page sessions survive a restart of the server (a signed cookie, its key kept in the server's directory), over
 * real HTTP on loopback: a browser logged in before the restart is still logged in after it, with the same CSRF
 * token; a logout ends the session for good, restart or not; a forged or altered cookie is refused; a token removed
 * from the tokens file ends its sessions; the cookie never holds the token.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import { removeDir, startArchive, tempDir, type Archive } from './_harness.js';

const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKENS: TokenEntry[] = [
  { site: 'ops', token: tok('admin'), scopes: ['admin'] },
  { site: 'k123-team', token: tok('k123'), scopes: ['read'], programs: ['K123'] },
];
let dir: string;
let archive: Archive;
const start = (tokens = TOKENS) => startArchive({ dir, sqlite: true, server: { tokens, pages: true } });

async function login(token: string): Promise<string> {
  const response = await fetch(`${archive.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
  expect(response.status).toBe(303);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}
const files = (cookie: string) => fetch(`${archive.url}/ui/api/files`, { headers: { cookie } });
/** The CSRF token the monitor page carries for a session. */
async function csrfOf(cookie: string): Promise<string> {
  const page = await (await fetch(`${archive.url}/ui/portal`, { headers: { cookie } })).text();
  return /<meta name="csrf" content="([^"]+)">/.exec(page)![1]!;
}

beforeAll(async () => {
  dir = tempDir('pages-sessions');
  archive = await start();
}, 30_000);

afterAll(async () => {
  await archive?.stop();
  removeDir(dir);
});

describe('page sessions', () => {
  it('survive a restart with the same CSRF token; a logout ends them for good, across restarts too', async () => {
    const admin = await login(tok('admin'));
    const other = await login(tok('k123'));
    expect(admin).not.toContain(tok('admin'));
    expect(decodeURIComponent(admin)).not.toContain(tok('admin'));
    expect((await files(admin)).status).toBe(200);
    const csrf = await csrfOf(admin);
    expect(statSync(join(archive.uploads, 'ui', 'session-key')).mode & 0o777).toBe(0o600);

    await archive.stop();
    archive = await start();
    expect((await files(admin)).status).toBe(200);
    expect((await files(other)).status).toBe(200);
    expect(await csrfOf(admin)).toBe(csrf);
    // A state-changing request with that CSRF token is accepted after the restart (an unknown record: 404, not 403).
    const requeue = await fetch(`${archive.url}/ui/actions/requeue`, { method: 'POST', headers: { cookie: admin, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ recordId: 'no-such-record' }) });
    expect(requeue.status).toBe(404);

    const logout = await fetch(`${archive.url}/ui/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: admin, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }).toString() });
    expect(logout.status).toBe(303);
    expect((await files(admin)).status).toBe(401);
    await archive.stop();
    archive = await start();
    expect((await files(admin)).status).toBe(401);
    expect((await files(other)).status).toBe(200);
  }, 60_000);

  it('a forged or altered cookie is refused', async () => {
    const cookie = await login(tok('k123'));
    const [name, value] = cookie.split('=') as [string, string];
    const [payload, mac] = value.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { e: number };
    const longer = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86_400_000 })).toString('base64url');
    for (const forged of [`${name}=${longer}.${mac}`, `${name}=${payload}.${mac.slice(0, -2)}AA`, `${name}=${payload}`, `${name}=random-session-id`]) {
      expect([forged, (await files(forged)).status]).toEqual([forged, 401]);
    }
  });

  it('a token removed from the tokens file ends its sessions at the next start', async () => {
    const cookie = await login(tok('k123'));
    expect((await files(cookie)).status).toBe(200);
    await archive.stop();
    archive = await start(TOKENS.filter((t) => t.site !== 'k123-team'));
    expect((await files(cookie)).status).toBe(401);
  }, 60_000);
});
