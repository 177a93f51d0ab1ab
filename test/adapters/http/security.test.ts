/**
 * Who may do what, and what the server refuses to touch: missing, unknown, expired and wrong-scope tokens;
 * tokens limited to some instruments; path traversal through ids, names and nights, and a symbolic link out of
 * the upload area; bodies and declared sizes over the limits.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokensFile } from '../../../src/adapters/http/server.js';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { isIngestError } from '../../../src/core/errors.js';
import { memoryLogger, preparedFrames, removeDir, startArchive, tempDir, TOKENS, waitFor, writeRawFrames, type Archive } from './_harness.js';

const run = promisify(execFile);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let archive: Archive;
let dir: string;
beforeAll(async () => {
  dir = tempDir('security');
  archive = await startArchive({ server: { limits: { maxUploadBytes: 1 << 20, maxJsonBytes: 4096 } } });
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

async function call(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${archive.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as { error?: { code: string; message: string } }) : {};
  return { status: response.status, headers: response.headers, json, code: json.error?.code };
}

const declaration = (extra: Record<string, unknown> = {}) => ({ sha256: 'a'.repeat(64), size: 5760, name: 'frame.fits', ...extra });

describe('authentication and scopes', () => {
  it('no, unknown or expired tokens are 401 with a Bearer challenge; health needs none', async () => {
    const none = await call('POST', '/v1/uploads', undefined, declaration());
    expect([none.status, none.code, none.headers.get('www-authenticate')]).toEqual([401, 'UNAUTHORIZED', 'Bearer realm="fits-ingest"']);
    const unknown = await call('GET', '/v1/files/KB.20261120.00001.00', 'not-a-token-but-long-enough-xyz');
    expect([unknown.status, unknown.code, unknown.headers.get('www-authenticate')]).toEqual([401, 'UNAUTHORIZED', 'Bearer realm="fits-ingest", error="invalid_token"']);
    const expired = await call('POST', '/v1/uploads', TOKENS.expired, declaration());
    expect([expired.status, expired.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(expired.json.error!.message).toContain('expired on 2020-01-01');
    expect((await call('GET', '/v1/health')).status).toBe(200);
  });

  it('a token without the scope is 403: read cannot push, push cannot read a night or content', async () => {
    const push = await call('POST', '/v1/uploads', TOKENS.read, declaration());
    expect([push.status, push.code, push.headers.get('www-authenticate')]).toEqual([403, 'FORBIDDEN', 'Bearer realm="fits-ingest", error="insufficient_scope"']);
    expect((await call('GET', '/v1/nights/2026-11-20', TOKENS.push)).status).toBe(403);
    expect((await call('GET', '/v1/files/KB.20261120.30675.05/content', TOKENS.push)).status).toBe(403);
    expect((await call('GET', '/v1/nights/2026-11-20', TOKENS.read)).status).toBe(200);
    expect((await call('POST', '/v1/uploads', TOKENS.admin, declaration())).status).toBe(201);
  });

  it('a token limited to HIRES may leave the instrument to the file, and name only HIRES', async () => {
    expect((await call('POST', '/v1/uploads', TOKENS.hiresOnly, declaration({ name: 'undeclared.fits' }))).status).toBe(201);
    // The file decides: a KCWI frame sent without naming its instrument is refused once its header is read.
    const bytes = readFileSync(writeRawFrames(join(dir, 'undeclared'), 1)[0]!);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const sent = await fetch(`${archive.url}/v1/uploads?name=kb_undeclared.fits&sha256=${sha256}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.hiresOnly}`, 'content-type': 'application/fits' },
      body: bytes,
    });
    const answer = (await sent.json()) as { error: { code: string; message: string } };
    expect([sent.status, answer.error.code, answer.error.message]).toEqual([403, 'FORBIDDEN', expect.stringContaining('resolves to KCWI')]);
    const kcwi = await call('POST', '/v1/uploads', TOKENS.hiresOnly, declaration({ instrument: 'KCWI' }));
    expect([kcwi.status, kcwi.json.error?.message]).toEqual([403, expect.stringContaining('may not use instrument KCWI')]);
    expect((await call('POST', '/v1/uploads', TOKENS.hiresOnly, declaration({ instrument: 'hires', name: 'h.fits' }))).status).toBe(201);
  });

  it('the transport fails at once with UNAUTHORIZED / FORBIDDEN, without retrying', async () => {
    const [request] = await preparedFrames(dir, 1);
    for (const [token, code] of [[TOKENS.expired, 'UNAUTHORIZED'], [undefined, 'UNAUTHORIZED'], [TOKENS.read, 'FORBIDDEN'], [TOKENS.hiresOnly, 'FORBIDDEN']] as const) {
      const logger = memoryLogger();
      const transport = createHttpTransport({ url: archive.url, ...(token ? { token } : {}), logger, retry: { maxAttempts: 5, baseDelayMs: 5000, maxDelayMs: 5000 } });
      const started = Date.now();
      const error = await transport.transfer(request!).then(() => undefined, (e: unknown) => e);
      expect(isIngestError(error, code)).toBe(true);
      expect((error as { kind: string }).kind).toBe('usage');
      expect(logger.lines).toEqual([]);
      expect(Date.now() - started).toBeLessThan(4000); // one retry would have waited 5 s
      await transport.close?.();
    }
    expect(await archive.catalog.getArchived(request!.archiveId)).toBeUndefined();
  });
});

describe('paths are never built from unchecked client input', () => {
  it('ids, names, archive ids and nights with .., slashes or a leading dot are refused', async () => {
    for (const path of ['/v1/files/..%2F..%2Fetc%2Fpasswd', '/v1/files/../../etc/passwd', '/v1/uploads/..%2Fpartial', '/v1/nights/..%2F..%2Fheld/release', '/v1/files/.hidden']) {
      const { status } = await call('GET', path, TOKENS.admin);
      expect([path, status]).toEqual([path, 404]);
    }
    for (const name of ['../../evil.fits', '/etc/passwd', '.hidden.fits', 'a/b.fits', '..', 'x\u0000.fits']) {
      const { status, code } = await call('POST', '/v1/uploads', TOKENS.push, declaration({ name }));
      expect([name, status, code]).toEqual([name, 400, 'BAD_REQUEST']);
    }
    for (const archiveId of ['../KB.1', 'KB/1', '.KB']) {
      expect((await call('POST', '/v1/uploads', TOKENS.push, declaration({ archiveId }))).code).toBe('BAD_REQUEST');
    }
    const ingest = await call('POST', '/v1/ingest', TOKENS.push, { sha256: 'a'.repeat(64), name: '../../x.fits' });
    expect(ingest.code).toBe('BAD_REQUEST');
  });

  it('upload ids are the server\'s: unknown ones and other sites\' are not found', async () => {
    const unknown = await call('HEAD', `/v1/uploads/${'0'.repeat(32)}`, TOKENS.push);
    expect(unknown.status).toBe(404);
    const created = await call('POST', '/v1/uploads', TOKENS.admin, declaration({ name: 'ops.fits' }));
    const id = (created.json as { uploadId: string }).uploadId;
    expect((await call('GET', `/v1/uploads/${id}`, TOKENS.push)).code).toBe('UPLOAD_NOT_FOUND');
    expect((await call('GET', `/v1/uploads/${id}`, TOKENS.admin)).status).toBe(200);
    expect((await call('DELETE', `/v1/uploads/${id}`, TOKENS.admin)).status).toBe(204);
  });

  it('a symbolic link planted in the upload area is not followed out of it', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    const bytes = new Uint8Array(2880).fill(32);
    const digest = sha(bytes);
    symlinkSync(outside, join(archive.uploads, 'received', digest));
    const partials = readdirSync(join(archive.uploads, 'partial')).sort();
    const response = await fetch(`${archive.url}/v1/uploads?name=planted.fits&sha256=${digest}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.push}`, 'content-type': 'application/fits' },
      body: bytes,
    });
    const body = (await response.json()) as { error: { code: string } };
    expect([response.status, body.error.code]).toEqual([400, 'UNSAFE_DESTINATION']);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(join(archive.uploads, 'partial')).sort()).toEqual(partials); // the refused bytes are gone too
  });
});

describe('size limits', () => {
  it('a JSON body over the limit, or a declared size over the limit, is 413', async () => {
    const big = await call('POST', '/v1/ingest', TOKENS.push, JSON.stringify({ sha256: 'a'.repeat(64), name: 'x.fits', pad: 'x'.repeat(5000) }));
    expect([big.status, big.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const declared = await call('POST', '/v1/uploads', TOKENS.push, declaration({ size: (1 << 20) + 1 }));
    expect([declared.status, declared.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('curl sending a body over the limit gets 413 before the body is read (Expect: 100-continue)', async () => {
    const file = join(dir, 'big.fits');
    writeFileSync(file, new Uint8Array(2 << 20));
    const answer = join(dir, 'answer.json');
    const { stdout } = await run('curl', ['-sS', '-o', answer, '-w', '%{http_code} %{size_upload}', '-H', `Authorization: Bearer ${TOKENS.push}`, '-H', 'Content-Type: application/fits',
      '--data-binary', `@${file}`, `${archive.url}/v1/uploads?name=big.fits&sha256=${'b'.repeat(64)}`]);
    const [status, uploaded] = stdout.split(' ');
    expect(status).toBe('413');
    expect(Number(uploaded)).toBeLessThan(1 << 20); // refused before the body went
    expect(JSON.parse(readFileSync(answer, 'utf8')).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('PATCH bytes beyond the declared size are refused and the offset stays where it was', async () => {
    const bytes = new Uint8Array(2880).fill(7);
    const created = await call('POST', '/v1/uploads', TOKENS.push, declaration({ sha256: sha(bytes), size: 2880, name: 'over.fits' }));
    const id = (created.json as { uploadId: string }).uploadId;
    const response = await fetch(`${archive.url}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKENS.push}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      body: new Uint8Array(2881),
    });
    expect(response.status).toBe(413);
    const head = await fetch(`${archive.url}/v1/uploads/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${TOKENS.push}` } });
    expect(head.headers.get('upload-offset')).toBe('0');
  });
});

describe('tokens files and idle uploads', () => {
  it('loads a YAML or JSON tokens file, and names the entry and field of a mistake', async () => {
    const yaml = join(dir, 'tokens.yaml');
    writeFileSync(yaml, `tokens:\n  - site: keck\n    sha256: ${sha(new TextEncoder().encode('x'))}\n    scopes: [push]\n    expires: 2030-01-31\n`);
    expect(await loadTokensFile(yaml)).toEqual([{ site: 'keck', sha256: sha(new TextEncoder().encode('x')), scopes: ['push'], instruments: ['*'], programs: ['*'], expires: '2030-01-31' }]);
    const json = join(dir, 'tokens.json');
    writeFileSync(json, JSON.stringify([{ site: 'keck', token: 'short', scopes: ['push'] }]));
    const error = await loadTokensFile(json).then(() => undefined, (e: unknown) => e);
    expect(isIngestError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('0.token');
    writeFileSync(json, JSON.stringify([{ site: 'keck', token: TOKENS.push, sha256: 'a'.repeat(64), scopes: ['push'] }]));
    expect(((await loadTokensFile(json).catch((e: Error) => e)) as Error).message).toContain('exactly one of token or sha256');
  });

  it('an idle partial upload is deleted after uploadTtlMs', async () => {
    const logger = memoryLogger();
    const short = await startArchive({ server: { limits: { uploadTtlMs: 1000 }, logger } });
    try {
      const created = await fetch(`${short.url}/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.push}`, 'content-type': 'application/json' },
        body: JSON.stringify(declaration({ name: 'idle.fits' })),
      });
      const { uploadId } = (await created.json()) as { uploadId: string };
      const head = () => fetch(`${short.url}/v1/uploads/${uploadId}`, { method: 'HEAD', headers: { authorization: `Bearer ${TOKENS.push}` } }).then((r) => r.status);
      expect(await head()).toBe(200);
      await waitFor(async () => (await head()) === 404, 'the idle upload to be swept', 15_000).catch((error: Error) => {
        throw new Error(`${error.message}; the server logged ${JSON.stringify(logger.lines)}; partial/ holds ${readdirSync(join(short.uploads, 'partial')).join(', ')}`);
      });
      expect(readdirSync(join(short.uploads, 'partial'))).toEqual([]);
    } finally {
      await short.stop();
      removeDir(short.dir);
    }
  });

  it('received bytes nobody asks to ingest expire too, are logged with their site, and are listed until then', async () => {
    const logger = memoryLogger();
    const short = await startArchive({ server: { limits: { uploadTtlMs: 1000 }, logger } });
    try {
      const send = async (bytes: Uint8Array, name: string, query = '') =>
        (await fetch(`${short.url}/v1/uploads?name=${name}&sha256=${sha(bytes)}${query}`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.push}`, 'content-type': 'application/fits' }, body: bytes })).status;
      const idle = new Uint8Array(2880).fill(65);
      const refused = new Uint8Array(2880).fill(66);
      expect(await send(idle, 'idle.fits')).toBe(201);
      expect(await send(refused, 'refused.fits', '&ingest=true&wait=10')).toBe(201); // not FITS: INVALID, kept for inspection
      const list = await fetch(`${short.url}/v1/uploads`, { headers: { authorization: `Bearer ${TOKENS.push}` } }).then((r) => r.json() as Promise<{ uploads: { kind: string; name: string; site: string }[] }>);
      expect(list.uploads.map((u) => [u.kind, u.name, u.site])).toEqual([['received', 'idle.fits', 'keck']]);
      await waitFor(() => logger.lines.some((l) => l.message === 'idle upload expired'), 'the idle received file to expire', 15_000);
      expect(logger.lines.find((l) => l.message === 'idle upload expired')!.fields).toMatchObject({ kind: 'received', site: 'keck', name: 'idle.fits', sha256: sha(idle) });
      const left = readdirSync(join(short.uploads, 'received'), { recursive: true }).map(String);
      expect(left.some((f) => f.endsWith('idle.fits'))).toBe(false);
      expect(left.some((f) => f.endsWith('refused.fits'))).toBe(true);
    } finally {
      await short.stop();
      removeDir(short.dir);
    }
  });
});
