/**
 * Ownership over real HTTP on loopback: three sites (summit archives raw KCWI and HIRES frames; kcwi-drp and
 * hires-drp are pipelines limited to their instrument), with push, read and admin tokens. Every attack — replacing
 * another site's archived file, relabelling a file of another instrument, ingesting another site's upload,
 * releasing another site's held batch, reading another instrument's file — through every endpoint (uploads,
 * ingest, products, nights, files, callbacks) is refused with the right status, logged with the token's site, and
 * leaves the archive's bytes (every file under the archive root, hashed) and the catalog (records and their
 * history) exactly as they were.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import { STATES } from '../../../src/core/lifecycle/states.js';
import { makeFrame, type FrameOptions } from '../../../src/simulator/frames.js';
import { listFiles, memoryLogger, removeDir, startArchive, waitFor, type Archive } from './_harness.js';

const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));
const NIGHT = '2026-11-20';
const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKEN = {
  summit: tok('summit'),
  summitRead: tok('summit-read'),
  kcwi: tok('kcwi-drp'),
  kcwiRead: tok('kcwi-read'),
  hires: tok('hires-drp'),
  hiresRead: tok('hires-read'),
  admin: tok('admin'),
} as const;
const SITE: Record<keyof typeof TOKEN, string> = {
  summit: 'summit',
  summitRead: 'summit',
  kcwi: 'kcwi-drp',
  kcwiRead: 'kcwi-drp',
  hires: 'hires-drp',
  hiresRead: 'hires-drp',
  admin: 'ops',
};

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const frame = (n: number, extra: Partial<FrameOptions> = {}) => makeFrame({ time: new Date(T.getTime() + n * 60_000), frameNumber: n, axes: [32, 32], ...extra });
const name = (n: number, instrument = 'kb') => `${instrument}261120_${String(n).padStart(5, '0')}.fits`;

let archive: Archive;
const logger = memoryLogger();
const callbacks: { site: string; event: string; archiveId: string | null }[] = [];
let receiver: Server;
const bodies: string[] = [];

async function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const binary = body instanceof Uint8Array;
  const response = await fetch(`${archive.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': binary ? 'application/fits' : 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: binary ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  bodies.push(text);
  const json = text && response.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as Record<string, any>) : {};
  return { status: response.status, json, code: json['error']?.code as string | undefined };
}

/** One-request upload of `bytes`. */
const upload = (token: string, bytes: Uint8Array, fileName: string, query = '') =>
  call('POST', `/v1/uploads?name=${fileName}&sha256=${sha(bytes)}${query}`, token, bytes);

/** Every file under the archive root with its SHA-256, and every record with its history. */
async function snapshot() {
  const files = Object.fromEntries(listFiles(archive.root).map((f) => [f, sha(readFileSync(join(archive.root, f)))]));
  const records = await archive.catalog.findRecords({ states: [...STATES], limit: 100_000 });
  const catalog = await Promise.all(
    records
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(async (r) => ({ id: r.id, state: r.state, archiveId: r.archiveId, sha256: r.sha256, site: r.metadata['site'], history: (await archive.catalog.history(r.id)).length })),
  );
  const archived = (await archive.catalog.findArchived({ limit: 100_000 })).map((a) => ({ id: a.archiveId, record: a.recordId, sha256: a.sha256, locations: a.locations.map((l) => l.uri) }));
  const held = listFiles(join(archive.uploads, 'held')).map((f) => readFileSync(join(archive.uploads, 'held', f), 'utf8'));
  return { files, catalog, archived, held };
}

/** The refusals logged since `from`, as [site, code]. */
const refusedSince = (from: number) => logger.lines.slice(from).filter((l) => l.message === 'refused').map((l) => [l.fields?.['site'], l.fields?.['code']]);

let K1: { archiveId: string; recordId: string }; // summit's archived KCWI frame
let H1: { archiveId: string; recordId: string }; // summit's archived HIRES frame
const K2 = frame(2); // summit's upload, never ingested
const P1 = frame(3, { object: 'icubed product' }); // summit's held level-2 product of K1

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const payload = JSON.parse(text) as { site: string; event: string; status: { archiveId: string | null } };
      callbacks.push({ site: payload.site, event: payload.event, archiveId: payload.status.archiveId });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'a-shared-secret-of-enough-length' };
  const tokens: TokenEntry[] = [
    { site: 'summit', token: TOKEN.summit, scopes: ['push', 'read'], callback: hook },
    { site: 'summit', token: TOKEN.summitRead, scopes: ['read'] },
    { site: 'kcwi-drp', token: TOKEN.kcwi, scopes: ['push', 'read'], instruments: ['KCWI'], callback: hook },
    { site: 'kcwi-drp', token: TOKEN.kcwiRead, scopes: ['read'], instruments: ['KCWI'] },
    { site: 'hires-drp', token: TOKEN.hires, scopes: ['push', 'read'], instruments: ['HIRES'], callback: hook },
    { site: 'hires-drp', token: TOKEN.hiresRead, scopes: ['read'], instruments: ['hires'] },
    { site: 'ops', token: TOKEN.admin, scopes: ['admin'] },
  ];
  archive = await startArchive({ sqlite: true, server: { tokens, logger, callbacks: { baseDelayMs: 10, maxDelayMs: 50 } } });
  const k1 = await upload(TOKEN.summit, frame(1), name(1), '&ingest=true&wait=30');
  const h1 = await upload(TOKEN.summit, frame(1, { instrument: 'HIRES' }), name(1, 'hi'), '&ingest=true&wait=30');
  for (const r of [k1, h1]) expect([r.status, r.json['ingest']?.state]).toEqual([201, 'ARCHIVED']);
  K1 = { archiveId: k1.json['ingest'].archiveId, recordId: k1.json['ingest'].recordId };
  H1 = { archiveId: h1.json['ingest'].archiveId, recordId: h1.json['ingest'].recordId };
  expect(H1.archiveId).not.toBe(K1.archiveId);
  expect((await upload(TOKEN.summit, K2, name(2))).status).toBe(201);
  expect((await upload(TOKEN.summit, P1, name(3), '&level=2')).status).toBe(201);
  const held = await call('POST', '/v1/products', TOKEN.summit, { hold: true, night: NIGHT, products: [{ name: name(3), sha256: sha(P1), level: 2, parents: [K1.archiveId] }] });
  expect([held.status, held.json['held']]).toEqual([202, 1]);
  await waitFor(() => callbacks.length >= 2, 'summit\'s two callbacks');
});

afterAll(async () => {
  await archive.stop();
  await new Promise((resolve) => receiver.close(resolve));
  removeDir(archive.dir);
});

/** Runs `attack`, then checks the archive and catalog did not change and no callback was queued for it. */
async function unchanged(attack: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  const calls = callbacks.length;
  await attack();
  await new Promise((resolve) => setTimeout(resolve, 150)); // anything the ingestor would do, it would have started
  expect(await snapshot()).toEqual(before);
  expect(callbacks.length).toBe(calls);
}

describe('replacing or superseding another site\'s archived file', () => {
  it('kcwi-drp sending a changed copy of summit\'s KCWI frame with replace=true: 403, logged, nothing changes', async () => {
    const changed = frame(1, { object: 'changed copy', seed: 99 });
    await unchanged(async () => {
      const from = logger.lines.length;
      const answer = await upload(TOKEN.kcwi, changed, name(1), '&instrument=KCWI&replace=true&ingest=true&wait=5');
      expect([answer.status, answer.code]).toEqual([403, 'FORBIDDEN']);
      expect(answer.json['error'].message).toContain(`${K1.archiveId} was archived by summit`);
      expect(refusedSince(from)).toEqual([['kcwi-drp', 'FORBIDDEN']]);
      // The same through POST /v1/ingest (the bytes are received now) and through a resumable upload.
      const ingest = await call('POST', '/v1/ingest', TOKEN.kcwi, { name: name(1), sha256: sha(changed), instrument: 'KCWI', reingest: true, wait: 5 });
      expect([ingest.status, ingest.code]).toEqual([403, 'FORBIDDEN']);
      const declared = await call('POST', '/v1/ingest', TOKEN.kcwi, { name: name(1), sha256: sha(changed), archiveId: K1.archiveId, reingest: true });
      expect([declared.status, declared.code]).toEqual([403, 'FORBIDDEN']);
      expect(refusedSince(from)).toHaveLength(3);
    });
    expect((await archive.catalog.getRecord(K1.recordId))!.state).toBe('ARCHIVED');
  });

  it('a prepared HIRES file whose header names summit\'s KCWI archive id: 404 for hires-drp, which may not see it', async () => {
    const forged = frame(4, { instrument: 'HIRES', cards: [['KOAID', `${K1.archiveId}.fits`, 'forged archive id']] });
    await unchanged(async () => {
      const from = logger.lines.length;
      const answer = await upload(TOKEN.hires, forged, name(4, 'hi'), '&instrument=HIRES&prepared=true&replace=true&ingest=true');
      const unknown = await call('GET', '/v1/files/KB.20991231.00000.00', TOKEN.hires);
      expect([answer.status, answer.code, answer.json['error']?.message]).toEqual([404, 'NOT_FOUND', expect.any(String)]);
      expect([answer.status, answer.code]).toEqual([unknown.status, unknown.code]);
      expect(answer.json['error'].message).not.toContain('summit');
      expect(refusedSince(from)).toEqual([['hires-drp', 'NOT_FOUND']]);
    });
  });

  it('read tokens of every site cannot replace anything, and summit\'s read token cannot either (scope)', async () => {
    const changed = frame(1, { object: 'changed again', seed: 77 });
    await unchanged(async () => {
      for (const token of [TOKEN.summitRead, TOKEN.kcwiRead, TOKEN.hiresRead]) {
        const answer = await upload(token, changed, name(1), '&replace=true&ingest=true');
        expect([answer.status, answer.code]).toEqual([403, 'FORBIDDEN']);
      }
    });
  });
});

describe('the file decides its instrument', () => {
  it('a KCWI token uploading a frame whose INSTRUME is HIRES is refused (403), not relabelled', async () => {
    const hires = frame(5, { instrument: 'HIRES' });
    await unchanged(async () => {
      for (const query of ['&instrument=KCWI&ingest=true&wait=5', '&instrument=KCWI', '']) {
        const from = logger.lines.length;
        const answer = await upload(TOKEN.kcwi, hires, name(5, 'hi'), query);
        expect([query, answer.status, answer.code]).toEqual([query, 403, 'FORBIDDEN']);
        expect(refusedSince(from)).toEqual([['kcwi-drp', 'FORBIDDEN']]);
      }
      expect(listFiles(join(archive.uploads, 'received')).filter((f) => f.includes(sha(hires)))).toEqual([]);
      // Resumable: refused when the last byte arrives, and the partial goes.
      const created = await call('POST', '/v1/uploads', TOKEN.kcwi, { name: name(5, 'hi'), size: hires.length, sha256: sha(hires), instrument: 'KCWI' });
      const response = await fetch(`${archive.url}/v1/uploads/${created.json['uploadId']}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${TOKEN.kcwi}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
        body: hires,
      });
      expect(response.status).toBe(403);
      expect((await call('HEAD', `/v1/uploads/${created.json['uploadId']}`, TOKEN.kcwi)).status).toBe(404);
    });
  });

  it('a HIRES frame declared as KCWI by an unlimited token is refused too (the declaration only narrows)', async () => {
    const hires = frame(6, { instrument: 'HIRES' });
    await unchanged(async () => {
      const answer = await upload(TOKEN.summit, hires, name(6, 'hi'), '&instrument=KCWI&ingest=true');
      expect([answer.status, answer.code]).toEqual([400, 'BAD_REQUEST']);
      expect(answer.json['error'].message).toContain('resolves to HIRES');
    });
  });
});

describe('another site\'s upload and held batch', () => {
  it('ingesting summit\'s upload: 403 for kcwi-drp (it may see KCWI), the unknown-upload answer for hires-drp', async () => {
    await unchanged(async () => {
      const from = logger.lines.length;
      const kcwi = await call('POST', '/v1/ingest', TOKEN.kcwi, { name: name(2), sha256: sha(K2), instrument: 'KCWI', wait: 5 });
      expect([kcwi.status, kcwi.code]).toEqual([403, 'FORBIDDEN']);
      const hires = await call('POST', '/v1/ingest', TOKEN.hires, { name: name(2), sha256: sha(K2), instrument: 'HIRES', wait: 5 });
      const unknown = await call('POST', '/v1/ingest', TOKEN.hires, { name: name(2), sha256: 'f'.repeat(64), instrument: 'HIRES' });
      expect([hires.status, hires.code]).toEqual([unknown.status, unknown.code]);
      expect(hires.code).toBe('NOT_RECEIVED');
      // Through products, submitted now or held.
      for (const hold of [false, true]) {
        const product = await call('POST', '/v1/products', TOKEN.kcwi, { hold, night: NIGHT, products: [{ name: name(3), sha256: sha(P1), level: 2, parents: [K1.archiveId], instrument: 'KCWI' }] });
        expect([hold, product.status, product.code]).toEqual([hold, 403, 'FORBIDDEN']);
      }
      // A product of hires-drp naming a KCWI parent it may not see: the parent is unknown to it.
      const h7 = frame(7, { instrument: 'HIRES' });
      expect((await upload(TOKEN.hires, h7, name(7, 'hi'), '&instrument=HIRES&level=2')).status).toBe(201);
      const parent = await call('POST', '/v1/products', TOKEN.hires, { products: [{ name: name(7, 'hi'), sha256: sha(h7), level: 2, parents: [K1.archiveId], instrument: 'HIRES' }] });
      expect([parent.status, parent.code]).toEqual([422, 'PARENT_UNKNOWN']);
      // Sending a copy of the same bytes does not make summit's upload kcwi-drp's.
      expect((await upload(TOKEN.kcwi, K2, name(2), '&instrument=KCWI')).status).toBe(201);
      const copy = await call('POST', '/v1/ingest', TOKEN.kcwi, { name: name(2), sha256: sha(K2), instrument: 'KCWI', wait: 5 });
      expect([copy.status, copy.code]).toEqual([403, 'FORBIDDEN']);
      expect(refusedSince(from).map(([site]) => site)).toEqual(['kcwi-drp', 'hires-drp', 'kcwi-drp', 'kcwi-drp', 'hires-drp', 'kcwi-drp']);
    });
  });

  it('releasing summit\'s held night: 403 for kcwi-drp, nothing for hires-drp; the batch stays held until summit releases it', async () => {
    await unchanged(async () => {
      const kcwi = await call('POST', `/v1/nights/${NIGHT}/release`, TOKEN.kcwi);
      expect([kcwi.status, kcwi.code]).toEqual([403, 'FORBIDDEN']);
      const hires = await call('POST', `/v1/nights/${NIGHT}/release`, TOKEN.hires);
      expect([hires.status, hires.json['released']]).toEqual([200, []]);
      for (const token of [TOKEN.kcwiRead, TOKEN.summitRead]) expect((await call('POST', `/v1/nights/${NIGHT}/release`, token)).status).toBe(403);
      expect((await call('GET', `/v1/nights/${NIGHT}`, TOKEN.kcwiRead)).json['held']).toBe(1);
      expect((await call('GET', `/v1/nights/${NIGHT}`, TOKEN.hiresRead)).json['held']).toBe(0);
    });
    expect(logger.lines.some((l) => l.message === 'refused' && l.fields?.['site'] === 'hires-drp' && l.fields?.['action'] === 'release')).toBe(true);
  });

  it('another site\'s uploads are not found through GET, HEAD, PATCH, DELETE and the listing', async () => {
    const created = await call('POST', '/v1/uploads', TOKEN.summit, { name: name(8), size: 5760, sha256: 'c'.repeat(64), instrument: 'KCWI' });
    const id = created.json['uploadId'] as string;
    await unchanged(async () => {
      const from = logger.lines.length;
      for (const token of [TOKEN.kcwi, TOKEN.hires]) {
        for (const method of ['GET', 'HEAD', 'DELETE']) expect([method, (await call(method, `/v1/uploads/${id}`, token)).status]).toEqual([method, 404]);
        const patch = await fetch(`${archive.url}/v1/uploads/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }, body: new Uint8Array(10) });
        expect(patch.status).toBe(404);
        const listed = await call('GET', '/v1/uploads', token);
        expect(listed.json['uploads'].filter((u: { site: string }) => u.site !== SITE[token === TOKEN.kcwi ? 'kcwi' : 'hires'])).toEqual([]);
      }
      const summit = await call('GET', '/v1/uploads', TOKEN.summit);
      const ids = summit.json['uploads'].map((u: { uploadId: string; kind: string }) => `${u.kind}:${u.uploadId}`);
      expect(ids).toContain(`partial:${id}`);
      const receivedK2 = summit.json['uploads'].find((u: { sha256: string }) => u.sha256 === sha(K2));
      expect(receivedK2).toMatchObject({ kind: 'received', site: 'summit', name: name(2) });
      expect((await call('DELETE', `/v1/uploads/${receivedK2.uploadId}`, TOKEN.kcwi)).status).toBe(404);
      // GET, HEAD, DELETE, PATCH by each of the two sites, then the received file's DELETE: each refusal logged.
      expect(refusedSince(from)).toEqual([...Array(4).fill(['kcwi-drp', 'UPLOAD_NOT_FOUND']), ...Array(4).fill(['hires-drp', 'UPLOAD_NOT_FOUND']), ['kcwi-drp', 'UPLOAD_NOT_FOUND']]);
      expect((await call('GET', '/v1/uploads', TOKEN.admin)).json['uploads'].length).toBeGreaterThanOrEqual(ids.length);
    });
    expect((await call('DELETE', `/v1/uploads/${id}`, TOKEN.summit)).status).toBe(204);
  });
});

describe('reading another instrument\'s file answers like an unknown id', () => {
  it('files, content, ingestion status and nights: 404 (never 403) for hires tokens, 200 for KCWI ones', async () => {
    await unchanged(async () => {
      for (const token of [TOKEN.hires, TOKEN.hiresRead]) {
        const from = logger.lines.length;
        for (const path of [`/v1/files/${K1.archiveId}`, `/v1/files/${K1.archiveId}/content`, `/v1/ingest/${K1.recordId}`]) {
          const seen = await call('GET', path, token);
          const unknown = await call('GET', path.replace(K1.archiveId, 'KB.20991231.00000.00').replace(K1.recordId, '00000000-0000-4000-8000-000000000000'), token);
          expect([path, seen.status, seen.code]).toEqual([path, unknown.status, unknown.code]);
          expect(seen.status).toBe(404);
        }
        expect(refusedSince(from).every(([site]) => site === 'hires-drp')).toBe(true);
        expect(refusedSince(from).length).toBeGreaterThan(0);
      }
      const night = await call('GET', `/v1/nights/${NIGHT}`, TOKEN.hiresRead);
      expect(night.json['files'].map((f: { instrument: string }) => f.instrument)).toEqual(['HIRES']);
      expect((await call('GET', `/v1/files/${K1.archiveId}`, TOKEN.kcwiRead)).status).toBe(200);
      expect((await call('GET', `/v1/files/${H1.archiveId}/content`, TOKEN.hiresRead)).status).toBe(200);
    });
  });
});

describe('what is allowed still works, and no answer shows the upload area', () => {
  it('summit releases its own batch; summit replaces its own frame; an admin may replace anyone\'s', async () => {
    const released = await call('POST', `/v1/nights/${NIGHT}/release?wait=30`, TOKEN.summit);
    expect([released.status, released.json['released'].map((s: { state: string }) => s.state)]).toEqual([200, ['ARCHIVED']]);
    const own = await upload(TOKEN.summit, frame(1, { object: 'summit fixes its frame', seed: 5 }), name(1), '&replace=true&ingest=true&wait=30');
    expect([own.status, own.json['ingest'].state, own.json['ingest'].archiveId]).toEqual([201, 'ARCHIVED', K1.archiveId]);
    expect((await archive.catalog.getRecord(K1.recordId))!.state).toBe('SUPERSEDED');
    const admin = await upload(TOKEN.admin, frame(1, { instrument: 'HIRES', object: 'ops fix', seed: 6 }), name(1, 'hi'), '&replace=true&ingest=true&wait=30');
    expect([admin.status, admin.json['ingest'].state, admin.json['ingest'].archiveId]).toEqual([201, 'ARCHIVED', H1.archiveId]);
    await waitFor(() => callbacks.filter((c) => c.site === 'summit').length >= 4, 'summit\'s callbacks for its release and replacement');
    expect(callbacks.filter((c) => c.site !== 'summit')).toEqual([]);
  });

  it('a file the archive refuses reports why without the server\'s upload path', async () => {
    const broken = new Uint8Array(2880).fill(32);
    const answer = await upload(TOKEN.admin, broken, 'broken.fits', '&ingest=true&wait=30');
    expect(answer.json['ingest'].state).toBe('INVALID');
    expect(answer.json['ingest'].error.message).toContain('broken.fits');
    for (const text of bodies) expect(text).not.toContain(archive.uploads);
  });
});
