/**
 * Access per program and proprietary periods over real HTTP on loopback, with an injected clock: before its
 * release date a file is readable only by its program's tokens, tokens of every program and admins; everyone else
 * gets the same 404 as for an unknown id on every read path (file, content, ingestion status, night listing).
 * The release is recorded in the file's history when its date passes; an admin's extension is recorded and makes
 * the file proprietary again; `public` serves released files, and only those, without a token.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import { removeDir, startArchive, tempDir, writeRawFrames, type Archive } from './_harness.js';

const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKENS: TokenEntry[] = [
  { site: 'k123', token: tok('k123'), scopes: ['read'], programs: ['K123'] },
  { site: 'k999', token: tok('k999'), scopes: ['read'], programs: ['k999'] },
  { site: 'ops', token: tok('admin'), scopes: ['admin'], programs: ['K999'] },
  { site: 'keck', token: tok('all'), scopes: ['read'] },
];
// KCWI science frames of 2026-11-20 are proprietary for 18 months: public from 2028-05-20.
const BEFORE = Date.parse('2027-01-10T12:00:00Z');
const RELEASE = Date.parse('2028-05-20T00:00:00Z');

let archive: Archive;
let now = BEFORE;
const ids: Record<string, string> = {};
const records: Record<string, string> = {};

const get = (path: string, token?: string) => fetch(`${archive.url}${path}`, { headers: token ? { authorization: `Bearer ${tok(token)}` } : {} });
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  const dir = tempDir('embargo');
  archive = await startArchive({ dir, sqlite: true, server: { tokens: TOKENS, public: true, now: () => now } });
  const k123 = writeRawFrames(join(dir, 'in'), 2, { program: 'K123' }, 1);
  const k999 = writeRawFrames(join(dir, 'in'), 1, { program: 'K999' }, 3);
  for (const [program, paths] of [['K123', k123], ['K999', k999]] as const) {
    for (const [i, path] of paths.entries()) {
      const { record } = await archive.ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
      const [done] = await archive.ingestor.settled([record.id]);
      expect(done!.state).toBe('ARCHIVED');
      ids[`${program}-${i}`] = done!.archiveId!;
      records[`${program}-${i}`] = done!.id;
    }
  }
}, 60_000);

afterAll(async () => {
  await archive?.stop();
  if (archive) removeDir(archive.dir);
});

describe('before the release date', () => {
  it('the program, tokens of every program and admins read the file; another program and the public get 404 like an unknown id', async () => {
    const id = ids['K123-0']!;
    expect((await archive.catalog.getArchived(id))!.releaseDate).toBe('2028-05-20');
    for (const token of ['k123', 'all', 'admin']) expect([token, (await get(`/v1/files/${id}`, token)).status]).toEqual([token, 200]);
    const unknown = await get('/v1/files/KB.20261120.99999.99', 'k999');
    expect(unknown.status).toBe(404);
    type Answer = { error: { code: string; detail: string } };
    const unknownBody = (await unknown.json()) as Answer;
    for (const token of ['k999', undefined]) {
      const response = await get(`/v1/files/${id}`, token);
      expect(response.status).toBe(404);
      const body = (await response.json()) as Answer;
      expect(body.error.code).toBe(unknownBody.error.code);
      expect(body.error.detail).toBe(`the archive knows nothing under ${id}`);
      expect((await get(`/v1/files/${id}/content`, token)).status).toBe(404);
      expect((await get(`/v1/ingest/${records['K123-0']}`, token)).status).toBe(404);
    }
  });

  it('the night listing shows each token only what it may read', async () => {
    const listed = async (token?: string) => ((await (await get('/v1/nights/2026-11-20', token)).json()) as { files: { archiveId: string }[] }).files.map((f) => f.archiveId).sort();
    expect(await listed('k123')).toEqual([ids['K123-0'], ids['K123-1']].sort());
    expect(await listed('k999')).toEqual([ids['K999-0']]);
    expect(await listed('all')).toHaveLength(3);
    expect(await listed('admin')).toHaveLength(3);
    expect(await listed()).toEqual([]);
  });

  it('a download by the program has the archived bytes', async () => {
    const id = ids['K123-1']!;
    const response = await get(`/v1/files/${id}/content`, 'k123');
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const file = (await archive.catalog.getArchived(id))!;
    expect(sha(bytes)).toBe(file.sha256);
    expect(sha(readFileSync(file.locations[0]!.uri))).toBe(file.sha256);
  });

  it('the release check records nothing yet', async () => {
    expect(await archive.server.checkReleases()).toEqual([]);
  });
});

describe('extension and release', () => {
  it('only an admin may extend a proprietary period; the extension is in the history with the operator', async () => {
    const id = ids['K123-1']!;
    const post = (token: string, body: unknown) =>
      fetch(`${archive.url}/v1/files/${id}/proprietary`, { method: 'POST', headers: { authorization: `Bearer ${tok(token)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('k123', { until: '2029-01-01' })).status).toBe(403);
    expect((await post('admin', { until: 'soon' })).status).toBe(400);
    const ok = await post('admin', { until: '2029-01-01', reason: 'PI asked for thesis work' });
    expect(ok.status).toBe(200);
    const history = await archive.catalog.history(records['K123-1']!);
    expect(history.at(-1)).toMatchObject({ cause: 'EXTEND_PROPRIETARY', actor: 'operator:ops', from: 'ARCHIVED', to: 'ARCHIVED', message: 'proprietary until 2029-01-01: PI asked for thesis work' });
  });

  it('when the date passes, each release is recorded once; released files are public; the extended one is not', async () => {
    now = RELEASE - 1;
    expect(await archive.server.checkReleases()).toEqual([]);
    expect((await get(`/v1/files/${ids['K123-0']}`)).status).toBe(404);
    now = RELEASE;
    const released: string[] = [];
    archive.server.onRelease = (r) => released.push(r.file.archiveId);
    expect((await archive.server.checkReleases()).map((r) => r.file.archiveId).sort()).toEqual([ids['K123-0'], ids['K999-0']].sort());
    expect(released.sort()).toEqual([ids['K123-0'], ids['K999-0']].sort());
    expect(await archive.server.checkReleases()).toEqual([]);
    const history = await archive.catalog.history(records['K123-0']!);
    expect(history.filter((h) => h.cause === 'RELEASE')).toEqual([expect.objectContaining({ actor: 'embargo', message: 'the proprietary period ended on 2028-05-20', at: RELEASE })]);

    for (const token of ['k999', undefined]) {
      expect((await get(`/v1/files/${ids['K123-0']}`, token)).status).toBe(200);
      expect((await get(`/v1/files/${ids['K123-0']}/content`, token)).status).toBe(200);
      expect((await get(`/v1/files/${ids['K123-1']}`, token)).status).toBe(404);
    }
    expect((await get(`/v1/files/${ids['K123-1']}`, 'k123')).status).toBe(200);
    // The event log and the catalog listing hold the release date stored at archiving; the extension decides there too.
    const listed = async (token: string) => {
      const events = (await (await get('/v1/events?limit=1000', token)).json()) as { events: { kind: string; archiveId: string | null }[] };
      const files = (await (await get('/v1/catalog?instrument=KCWI&limit=100', token)).json()) as { files: { archiveId: string }[] };
      return { events: events.events.filter((e) => e.kind === 'archived').map((e) => e.archiveId), files: files.files.map((f) => f.archiveId) };
    };
    const other = await listed('k999');
    expect(other.events).toContain(ids['K123-0']);
    expect(other.events).not.toContain(ids['K123-1']);
    expect(other.files).toContain(ids['K123-0']);
    expect(other.files).not.toContain(ids['K123-1']);
    const member = await listed('k123');
    expect(member.events).toContain(ids['K123-1']);
    expect(member.files).toContain(ids['K123-1']);
    now = Date.parse('2029-01-01T00:00:00Z');
    expect((await archive.server.checkReleases()).map((r) => r.file.archiveId)).toEqual([ids['K123-1']]);
    expect((await get(`/v1/files/${ids['K123-1']}/content`)).status).toBe(200);
  });

  it('the public may only read: a push without a token is still refused', async () => {
    const response = await fetch(`${archive.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
  });
});
