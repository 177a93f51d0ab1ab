/** The webhook notifier against a real HTTP server on loopback: signatures, retries with backoff, refusals. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import * as vitest from 'vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookNotifier, verifyWebhookSignature, type WebhookPayload } from '../../../src/adapters/notifiers/webhook.js';
import { isIngestError } from '../../../src/core/errors.js';
import { notifierConformance, sampleNotification } from '../../../src/testing/notifier-conformance.js';

const SECRET = 'webhook secret shared with the dashboard';

interface Hook {
  url: string;
  requests: { headers: IncomingHttpHeaders; body: string; at: number }[];
  /** Statuses to answer, in order; 200 once used up. */
  statuses: number[];
  retryAfter?: string;
  close(): Promise<void>;
}

async function startHook(): Promise<Hook> {
  const hook = { requests: [], statuses: [] } as unknown as Hook;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hook.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const status = hook.statuses.shift() ?? 200;
      res.writeHead(status, hook.retryAfter !== undefined && status !== 200 ? { 'retry-after': hook.retryAfter } : {});
      res.end(status === 200 ? 'ok' : `status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  hook.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks/fits`;
  hook.close = () => new Promise((resolve) => server.close(() => resolve()));
  return hook;
}

describe('webhook notifier: notifier conformance (HTTP server on loopback)', () => {
  notifierConformance(vitest, async () => {
    const hook = await startHook();
    return {
      notifier: createWebhookNotifier({ url: hook.url, secret: SECRET, retry: { maxAttempts: 2, baseDelayMs: 5 } }),
      received: async () =>
        hook.requests.filter((r) => r.body.startsWith('{')).map((r) => {
          const payload = JSON.parse(r.body) as WebhookPayload;
          return { kind: payload.kind, to: payload.to, subject: payload.subject, text: payload.text };
        }),
      refuse: async () => void hook.statuses.push(...Array<number>(10).fill(403)),
      teardown: () => hook.close(),
    };
  });
});

describe('webhook notifier', () => {
  let hook: Hook | undefined;
  afterEach(async () => {
    await hook?.close();
    hook = undefined;
  });

  it('posts the notification as JSON, signed; the receiver verifies the signature and rejects a forgery', async () => {
    hook = await startHook();
    const notifier = createWebhookNotifier({ url: hook.url, secret: SECRET, headers: { authorization: 'Bearer t0ken' } });
    const sent = sampleNotification(4);
    await notifier.send(sent);
    const [request] = hook.requests;
    const payload = JSON.parse(request!.body) as WebhookPayload;
    expect(payload).toMatchObject({ ...sent, delivery: expect.any(String) });
    expect(request!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t0ken', 'x-fits-ingest-kind': 'first-frame' });
    const signature = request!.headers['x-fits-ingest-signature'] as string;
    expect(verifyWebhookSignature(signature, request!.body, SECRET)).toBe(true);
    expect(verifyWebhookSignature(signature, request!.body.replace('conformance', 'forged'), SECRET)).toBe(false);
    expect(verifyWebhookSignature(signature, request!.body, 'another secret, sixteen+')).toBe(false);
    expect(verifyWebhookSignature(signature, request!.body, SECRET, { now: Date.now() + 3_600_000 })).toBe(false);
  });

  it('retries on 500 with growing delays, the same delivery id and a valid signature each time, then succeeds', async () => {
    hook = await startHook();
    hook.statuses.push(500, 502, 503);
    const notifier = createWebhookNotifier({ url: hook.url, secret: SECRET, retry: { maxAttempts: 5, baseDelayMs: 40, maxDelayMs: 1000 } });
    await notifier.send(sampleNotification(5));
    expect(hook.requests).toHaveLength(4);
    const ids = new Set(hook.requests.map((r) => r.headers['x-fits-ingest-delivery']));
    expect(ids.size).toBe(1);
    for (const r of hook.requests) expect(verifyWebhookSignature(r.headers['x-fits-ingest-signature'] as string, r.body, SECRET)).toBe(true);
    const gaps = hook.requests.slice(1).map((r, i) => r.at - hook!.requests[i]!.at);
    // Delays 40, 80, 160 ms with ±50 % jitter: at least 20, 40, 80 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
  });

  it('honours Retry-After on 429', async () => {
    hook = await startHook();
    hook.statuses.push(429);
    hook.retryAfter = '1';
    const notifier = createWebhookNotifier({ url: hook.url, retry: { baseDelayMs: 1 } });
    await notifier.send(sampleNotification(6));
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests[1]!.at - hook.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('stops at once on a 4xx (NOTIFY_REJECTED), and gives NOTIFY_FAILED after the last attempt on 5xx', async () => {
    hook = await startHook();
    hook.statuses.push(404);
    const notifier = createWebhookNotifier({ url: hook.url, retry: { maxAttempts: 3, baseDelayMs: 5 } });
    const rejected = await notifier.send(sampleNotification(7)).catch((e: unknown) => e);
    expect(isIngestError(rejected, 'NOTIFY_REJECTED')).toBe(true);
    expect(hook.requests).toHaveLength(1);
    hook.statuses.push(500, 500, 500);
    const failed = await notifier.send(sampleNotification(8)).catch((e: unknown) => e);
    expect(isIngestError(failed, 'NOTIFY_FAILED')).toBe(true);
    expect((failed as Error).message).toContain('after 3 attempt(s): HTTP 500');
    expect(hook.requests).toHaveLength(4);
  });

  it('gives NOTIFY_FAILED when nothing listens', async () => {
    hook = await startHook();
    const url = hook.url;
    await hook.close();
    hook = undefined;
    const error = await createWebhookNotifier({ url, retry: { maxAttempts: 2, baseDelayMs: 5 } }).send(sampleNotification(9)).catch((e: unknown) => e);
    expect(isIngestError(error, 'NOTIFY_FAILED')).toBe(true);
  });

  it('refuses a non-http URL and a short secret', () => {
    expect(() => createWebhookNotifier({ url: 'ftp://example.org/x' })).toThrow(/INVALID_OPTIONS/);
    expect(() => createWebhookNotifier({ url: 'https://example.org/x', secret: 'short' })).toThrow(/at least 16/);
  });
});
