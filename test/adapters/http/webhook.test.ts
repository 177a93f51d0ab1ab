/**
 * Signed callbacks: the verify helper against tampering, wrong secrets, replays and malformed headers; delivery
 * to the sender's receiver with retries and backoff while it fails; deliveries that wait on disk across a
 * restart of the server; and callbacks for files the archive refuses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { createWebhookHandler, signWebhook, verifyWebhook, type CallbackPayload, type TokenEntry } from '../../../src/adapters/http/server.js';
import { isIngestError } from '../../../src/core/errors.js';
import { sumFile } from '../../../src/io/checksum-file.js';
import { preparedFrames, removeDir, startArchive, tempDir, TOKENS, waitFor, type Archive } from './_harness.js';

const SECRET = 'callback-secret-0123456789';

describe('verifyWebhook', () => {
  const body = JSON.stringify({ event: 'archived', deliveryId: 'd-1', site: 'keck', status: { archiveId: 'KB.1' } });
  const now = Date.UTC(2026, 10, 20, 12);

  it('accepts a body signed with the secret (or one of the secrets during a rotation)', () => {
    const signature = signWebhook(SECRET, body, now);
    expect(signature).toMatch(/^t=\d+,sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook({ secret: SECRET, body, signature, now }).deliveryId).toBe('d-1');
    expect(verifyWebhook({ secret: ['older-secret-abcdefgh', SECRET], body, signature, now: now + 60_000 }).site).toBe('keck');
  });

  it('refuses a changed body, a wrong secret, a stale or future time, and malformed or missing headers', () => {
    const signature = signWebhook(SECRET, body, now);
    const refused = (options: Parameters<typeof verifyWebhook>[0]) => {
      try {
        verifyWebhook(options);
      } catch (error) {
        expect(isIngestError(error, 'WEBHOOK_SIGNATURE_INVALID')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ secret: SECRET, body: body.replace('KB.1', 'KB.2'), signature, now })).toContain('does not match');
    expect(refused({ secret: 'another-secret-0123456', body, signature, now })).toContain('does not match');
    expect(refused({ secret: SECRET, body, signature, now: now + 301_000 })).toContain('301 s old');
    expect(refused({ secret: SECRET, body, signature, now: now - 400_000 })).toContain('in the future');
    expect(refused({ secret: SECRET, body, signature: signature.replace('sha256=', 'sha1='), now })).toContain('must read');
    expect(refused({ secret: SECRET, body, signature: undefined, now })).toContain('no X-Fits-Ingest-Signature');
  });
});

/** A callback receiver that answers `failFirst` attempts with 500, then verifies through createWebhookHandler. */
async function receiver(failFirst: number): Promise<{ url: string; server: Server; attempts: number[]; received: CallbackPayload[] }> {
  const received: CallbackPayload[] = [];
  const attempts: number[] = [];
  const verified = createWebhookHandler({ secret: SECRET, onEvent: (payload) => void received.push(payload) });
  const server = createServer((req, res) => {
    attempts.push(Date.now());
    if (attempts.length <= failFirst) return void res.writeHead(500).end('not now');
    verified(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, server, attempts, received };
}

describe('callbacks to the sender', () => {
  let dir: string;
  let archive: Archive | undefined;
  let hooks: Awaited<ReturnType<typeof receiver>> | undefined;
  beforeEach(() => {
    dir = tempDir('hooks');
  });
  afterEach(async () => {
    await archive?.stop();
    if (archive) removeDir(archive.dir);
    archive = undefined;
    hooks?.server.close();
    hooks = undefined;
    removeDir(dir);
  });

  const tokens = (url: string): TokenEntry[] => [{ site: 'keck', token: TOKENS.push, scopes: ['push', 'read'], callback: { url, secret: SECRET } }];
  const callbacks = { baseDelayMs: 100, maxDelayMs: 200, maxAttempts: 5, timeoutMs: 2000 };

  it('an archived file is called back, signed, after retries with backoff while the receiver fails', async () => {
    hooks = await receiver(2);
    archive = await startArchive({ server: { tokens: tokens(hooks.url), callbacks } });
    const outcomes: boolean[] = [];
    archive.server.onCallback = (_id, outcome) => void outcomes.push(outcome.ok);
    const [request] = await preparedFrames(dir, 1);
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
    await transport.transfer(request!);
    await waitFor(() => hooks!.received.length === 1, 'the callback');
    // The receiver has the body before the sender has read its answer: wait for the sender to note the attempt.
    await waitFor(() => outcomes.length === 3, 'the third attempt to be noted');
    expect(outcomes).toEqual([false, false, true]);
    const gaps = hooks.attempts.slice(1).map((t, i) => t - hooks!.attempts[i]!);
    // At least half the base delay (50 ms) apart, less what the first attempt's own arrival may have been late by on a
    // loaded machine; an immediate retry would arrive within a few milliseconds.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(25);
    const [payload] = hooks.received;
    expect(payload).toMatchObject({ event: 'archived', site: 'keck', status: { state: 'ARCHIVED', archiveId: request!.archiveId, sha256: request!.sha256 } });
    expect(typeof payload!.status.metrics.archivedAt).toBe('string');
    await waitFor(() => readdirSync(join(archive!.uploads, 'callbacks')).filter((f) => f.endsWith('.json')).length === 0, 'the delivered callback to be forgotten');
    await transport.close?.();
  });

  it('a callback the receiver cannot take waits on disk across a restart of the server, then arrives', async () => {
    hooks = await receiver(0);
    const port = (hooks.server.address() as AddressInfo).port;
    hooks.server.close(); // the sender's receiver is down
    archive = await startArchive({ server: { tokens: tokens(hooks.url), callbacks: { ...callbacks, baseDelayMs: 60_000, maxDelayMs: 60_000 } } });
    let attempts = 0;
    archive.server.onCallback = () => void attempts++;
    const [request] = await preparedFrames(dir, 1);
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
    await transport.transfer(request!);
    await transport.close?.();
    await waitFor(() => attempts === 1, 'the first attempt');
    const pending = readdirSync(join(archive.uploads, 'callbacks')).filter((f) => f.endsWith('.json'));
    expect(pending).toHaveLength(1);
    await archive.stop();
    // Due now, so that the restarted server sends it at once.
    const file = join(archive.uploads, 'callbacks', pending[0]!);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), nextAt: Date.now() }));
    hooks = await receiver(0);
    hooks.server.close();
    await new Promise<void>((resolve) => hooks!.server.listen(port, '127.0.0.1', resolve));
    archive = await startArchive({ dir: archive.dir, server: { tokens: tokens(`http://127.0.0.1:${port}/hooks`), callbacks } });
    await waitFor(() => hooks!.received.length === 1, 'the callback after the restart');
    expect(hooks.received[0]).toMatchObject({ event: 'archived', status: { archiveId: request!.archiveId } });
  });

  it('a file the archive refuses is called back as failed with its code; a receiver that never answers 2xx is given up', async () => {
    hooks = await receiver(0);
    archive = await startArchive({ server: { tokens: tokens(hooks.url), callbacks } });
    const [request] = await preparedFrames(dir, 1);
    const bytes = readFileSync(request!.path);
    bytes.write('COMMENT  no archive id here'.padEnd(80), bytes.toString('latin1').indexOf('KOAID   ='), 'latin1');
    const broken = join(dir, 'broken.fits');
    writeFileSync(broken, bytes);
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
    const sums = await sumFile(broken, { sha256: true });
    await transport.transfer({ ...request!, path: broken, sha256: sums.sha256!, hdus: [] }).catch(() => undefined);
    await waitFor(() => hooks!.received.length === 1, 'the failure callback');
    expect(hooks.received[0]).toMatchObject({ event: 'failed', status: { state: 'INVALID', error: { code: 'ARCHIVE_ID_FAILED' } } });
    await transport.close?.();

    // The same receiver, now failing for good: the delivery is set aside after maxAttempts.
    hooks.server.removeAllListeners('request');
    hooks.server.on('request', (_req, res) => res.writeHead(503).end());
    const outcomes: { ok: boolean; final: boolean }[] = [];
    archive.server.onCallback = (_id, outcome) => void outcomes.push(outcome);
    const [other] = await preparedFrames(join(dir, 'more'), 1, {}, 20);
    const t2 = createHttpTransport({ url: archive.url, token: TOKENS.push });
    await t2.transfer(other!);
    await t2.close?.();
    await waitFor(() => outcomes.some((o) => o.final), 'the delivery to be given up', 10_000);
    expect(outcomes.map((o) => o.ok)).toEqual(Array(callbacks.maxAttempts).fill(false));
    expect(readdirSync(join(archive.uploads, 'callbacks', 'failed'))).toHaveLength(1);
  });
});
