/**
 * The HTTP commands as scripts use them: `push` (JSON lines, exit 0/1/2), `serve` (refuses unsafe or
 * contradictory options; HTTPS with --tls-cert/--tls-key), and `watch --to` shipping a folder to a remote archive.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { removeDir, selfSigned, startArchive, tempDir, TOKENS, waitFor, writeRawFrames, type Archive } from '../adapters/http/_harness.js';
import { freePort, startServe } from '../adapters/http/_serve-child.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let archive: Archive;
let dir: string;
beforeAll(async () => {
  dir = tempDir('cli');
  archive = await startArchive();
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

describe('fits-ingest push', () => {
  it('sends files, waits for the verdict, prints one JSON line per file and exits 0; again: already archived', async () => {
    const files = writeRawFrames(join(dir, 'night'), 3);
    const first = await cli('push', join(dir, 'night'), '--to', archive.url, '--token', TOKENS.push, '--json');
    expect([first.code, first.stderr]).toEqual([0, '']);
    const lines = first.lines.map((l) => JSON.parse(l) as { file: string; state: string; archiveId: string; alreadyArchived: boolean; metrics: { archivedAt: string } });
    expect(lines.map((l) => l.file).sort()).toEqual(files);
    for (const line of lines) {
      expect(line).toMatchObject({ state: 'ARCHIVED', alreadyArchived: false, archiveId: expect.stringMatching(/^KB\.20261120\.\d{5}\.05$/) });
      expect(typeof line.metrics.archivedAt).toBe('string');
    }
    const again = await cli('push', files[0]!, '--to', archive.url, '--token', TOKENS.push, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.lines[0]!)).toMatchObject({ state: 'ARCHIVED', alreadyArchived: true });

    // --no-wait: back as soon as the archive holds the bytes and queued them; the archive finishes on its own.
    const [later] = writeRawFrames(join(dir, 'later'), 1, {}, 30);
    const queued = await cli('push', later!, '--to', archive.url, '--token', TOKENS.push, '--no-wait', '--json');
    const line = JSON.parse(queued.lines[0]!) as { state: string; recordId: string };
    expect(queued.code).toBe(0);
    expect(line.recordId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await archive.ingestor.settled([line.recordId]))[0]!.state).toBe('ARCHIVED');
  });

  it('exits 1 when the archive refuses a file, 2 for a bad token, an unreachable server or a bad URL', async () => {
    const [unknown] = writeRawFrames(join(dir, 'unknown'), 1, { instrument: 'NOSUCH' }, 40);
    const refused = await cli('push', unknown!, '--to', archive.url, '--token', TOKENS.push, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.lines[0]!)).toMatchObject({ state: 'INVALID', code: 'UNKNOWN_INSTRUMENT' });

    const [good] = writeRawFrames(join(dir, 'more'), 1, {}, 50);
    const badToken = await cli('push', good!, '--to', archive.url, '--token', 'wrong-token-0123456789abcdef');
    expect(badToken.code).toBe(2);
    expect(badToken.stdout).toMatch(/^REFUSED\s+\S+\s+UNAUTHORIZED: POST http:\/\/127\.0\.0\.1:\d+\/v1\/uploads answered 401/);
    const down = await cli('push', good!, '--to', `http://127.0.0.1:${await freePort()}`, '--token', TOKENS.push, '--retries', '1', '--json');
    expect([down.code, JSON.parse(down.lines[0]!).code, JSON.parse(down.lines[0]!).state]).toEqual([2, 'CONNECTION_FAILED', 'UNSENT']);
    const badUrl = await cli('push', good!, '--to', 'ftp://archive', '--token', TOKENS.push);
    expect([badUrl.code, badUrl.stderr]).toEqual([2, expect.stringContaining('--to: an http:// or https:// URL')]);
  });

  it('a token limited to KCWI pushes KCWI files without --instrument (the header says it); another instrument\'s token is REFUSED, not FAILED', async () => {
    const [frame] = writeRawFrames(join(dir, 'inferred'), 1, {}, 60);
    const limited = await startArchive({ server: { tokens: [{ site: 'summit', token: 'kcwi-only-token-0123456789abcdef', scopes: ['push'], instruments: ['KCWI'] }, { site: 'hires', token: TOKENS.hiresOnly, scopes: ['push', 'read'], instruments: ['HIRES'] }] } });
    try {
      const pushed = await cli('push', frame!, '--to', limited.url, '--token', 'kcwi-only-token-0123456789abcdef', '--json');
      expect([pushed.code, JSON.parse(pushed.lines[0]!).state]).toEqual([0, 'ARCHIVED']);
      const other = await cli('push', frame!, '--to', limited.url, '--token', TOKENS.hiresOnly);
      expect(other.code).toBe(2);
      expect(other.stdout).toMatch(/^REFUSED\s+\S+\s+FORBIDDEN: .*resolves to KCWI/);
    } finally {
      await limited.stop();
      removeDir(limited.dir);
    }
  });

  it('has --help', async () => {
    const help = await cli('push', '--help');
    expect(help.code).toBe(0);
    for (const option of ['--to', '--token', '--ca', '--prepared', '--reingest', '--no-wait', '--parent', 'Exit status']) expect(help.stdout).toContain(option);
  });
});

describe('fits-ingest serve', () => {
  it('refuses to start without tokens (unless --no-auth), with --instrument, or with half a TLS pair', async () => {
    const archiveDir = join(dir, 'refused');
    const noTokens = await cli('serve', '--archive', archiveDir, '--port', '0');
    expect([noTokens.code, noTokens.stderr]).toEqual([2, expect.stringContaining('--tokens FILE is required')]);
    const instrument = await cli('serve', '--archive', archiveDir, '--no-auth', '--instrument', 'KCWI');
    expect(instrument.code).toBe(2);
    const halfTls = await cli('serve', '--archive', archiveDir, '--no-auth', '--tls-cert', 'cert.pem');
    expect([halfTls.code, halfTls.stderr]).toEqual([2, expect.stringContaining('--tls-cert and --tls-key go together')]);
    const ttl = await cli('serve', '--archive', archiveDir, '--no-auth', '--upload-ttl', '500ms');
    expect([ttl.code, ttl.stderr]).toEqual([2, expect.stringContaining('--upload-ttl "500ms": give a duration of at least 1 s')]);
    const help = await cli('serve', '--help');
    for (const option of ['--port', '--host', '--tls-cert', '--tls-key', '--tokens', '--no-auth', '--upload-ttl', 'docs/http.md']) expect(help.stdout).toContain(option);
  });

  it('serves HTTPS with --tls-cert/--tls-key; push trusts it with --ca', async () => {
    const pem = selfSigned(dir);
    const tokens = join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify([{ site: 'keck', token: TOKENS.push, scopes: ['push'] }]));
    const served = await startServe(['--archive', join(dir, 'tls-archive'), '--port', '0', '--tokens', tokens, '--tls-cert', pem.cert, '--tls-key', pem.key]);
    try {
      expect(served.url).toMatch(/^https:/);
      const files = writeRawFrames(join(dir, 'tls-night'), 2, {}, 60);
      const pushed = await cli('push', ...files, '--to', served.url, '--token', TOKENS.push, '--ca', pem.cert, '--json');
      expect(pushed.code).toBe(0);
      const untrusted = await cli('push', files[0]!, '--to', served.url, '--token', TOKENS.push, '--json');
      expect([untrusted.code, JSON.parse(untrusted.lines[0]!).code]).toEqual([2, 'TLS_UNTRUSTED']);
    } finally {
      served.process.kill('SIGTERM');
      expect(await served.exit).toBe(0);
    }
    expect(served.lines.filter((l) => l['state'] === 'ARCHIVED')).toHaveLength(2);
  });
});

describe('fits-ingest serve --upload-ttl', () => {
  it('deletes a received file nobody asked to ingest once idle that long, and says so on stderr with its site', async () => {
    const served = await startServe(['--archive', join(dir, 'ttl-archive'), '--port', '0', '--no-auth', '--upload-ttl', '1s']);
    try {
      const bytes = new Uint8Array(2880).fill(65);
      const digest = createHash('sha256').update(bytes).digest('hex');
      const sent = await fetch(`${served.url}/v1/uploads?name=idle.fits&sha256=${digest}`, { method: 'POST', headers: { 'content-type': 'application/fits' }, body: bytes });
      expect(sent.status).toBe(201);
      await waitFor(() => served.stderr.join('').includes('idle upload expired'), 'the expiry on stderr', 10_000);
      expect(served.stderr.join('')).toMatch(/idle upload expired \{"kind":"received".*"site":"anonymous","name":"idle.fits"/);
      expect((await fetch(`${served.url}/v1/uploads`).then((r) => r.json() as Promise<{ uploads: unknown[] }>)).uploads).toEqual([]);
    } finally {
      served.process.kill('SIGTERM');
      expect(await served.exit).toBe(0);
    }
  }, 30_000);
});

describe('fits-ingest watch --to', () => {
  it('normalizes files of a watched folder and ships them; the archive keeps their ids and bytes', async () => {
    const incoming = join(dir, 'watched');
    writeRawFrames(incoming, 2, {}, 70);
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'watch', incoming, '--archive', join(dir, 'site-a'), '--to', archive.url, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FITS_INGEST_TOKEN: TOKENS.push },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.split('\n').filter((l) => l.includes('"ARCHIVED"')).length === 2, 'two files shipped', 30_000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exit).toBe(0);
    const shipped = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { archiveId: string; location: string });
    for (const line of shipped) {
      expect(line.location).toBe(`${archive.url}/v1/files/${line.archiveId}`);
      const atB = await archive.catalog.getArchived(line.archiveId);
      expect(atB?.archiveId).toBe(line.archiveId);
      expect(atB!.sha256).toBe(atB!.sourceSha256); // B kept the bytes A prepared
    }
    expect((await cli('watch', '--help')).stdout).toContain('--to <url>');
  }, 60_000);
});
