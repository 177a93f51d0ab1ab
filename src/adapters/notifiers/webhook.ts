/**
 * The webhook notifier: POSTs each notification as JSON to one URL (a chat bridge, an operations dashboard),
 * signed with a shared secret, retried with exponential backoff. Uses Node's built-in `fetch`.
 *
 * Request: `POST <url>`, `Content-Type: application/json`, body
 * `{ "kind", "to", "subject", "text", "data", "at", "delivery" }`; headers `X-Fits-Ingest-Kind`,
 * `X-Fits-Ingest-Delivery` (the same id on every retry: receivers drop repeats with it) and, with a secret,
 * `X-Fits-Ingest-Signature: t=<unix seconds>,sha256=<HMAC-SHA256 of "<t>.<body>">` (check it with
 * {@link verifyWebhookSignature}). Retried: network errors, timeouts, 408, 429 (honouring Retry-After) and 5xx;
 * any other status is final.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import { backoffDelay } from '../../core/lifecycle/backoff.js';
import type { Notification, Notifier } from '../../core/ports/notifier.js';
import { VERSION } from '../../core/version.js';
import { parseOptions } from '../_shared/options.js';
import { SIGNATURE_HEADER, signBody, verifyBody } from '../_shared/signature.js';

/** Name of the webhook notifier. */
export const WEBHOOK_NOTIFIER = 'webhook';

const webhookNotifierOptionsSchema = z.strictObject({
  /** The notifier's name, in logs and errors. @default 'webhook' */
  name: z.string().min(1).default(WEBHOOK_NOTIFIER),
  /** Where to POST (http or https). */
  url: z.url({ protocol: /^https?$/ }),
  /** Shared secret for the signature header (keep it out of code: read it from the environment). @default undefined (unsigned) */
  secret: z.string().min(16, 'use a secret of at least 16 characters').optional(),
  /** Extra request headers (e.g. an Authorization token). @default {} */
  headers: z.record(z.string().min(1), z.string()).default({}),
  /** Time allowed for one attempt. @default 10000 */
  timeoutMs: z.int().min(1).default(10_000),
  retry: z
    .strictObject({
      /** Attempts in all, the first included. @default 5 */
      maxAttempts: z.int().min(1).max(100).default(5),
      /** Delay before the second attempt; doubled each time, with ±50 % jitter. @default 500 */
      baseDelayMs: z.int().min(0).default(500),
      /** Longest delay between attempts (also caps Retry-After). @default 30000 */
      maxDelayMs: z.int().min(0).default(30_000),
    })
    .prefault({}),
});

/** Options of {@link createWebhookNotifier}. */
export type WebhookNotifierOptions = z.input<typeof webhookNotifierOptionsSchema>;

/** The JSON body a webhook receives. */
export interface WebhookPayload extends Notification {
  /** Id of this delivery, the same on every retry. */
  delivery: string;
}

const RETRIED = (status: number): boolean => status === 408 || status === 429 || status >= 500;

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Creates the webhook notifier. `send` resolves on a 2xx reply; throws NOTIFY_REJECTED on a final non-2xx
 * status and NOTIFY_FAILED once the attempts are used up.
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createWebhookNotifier(input: WebhookNotifierOptions): Notifier {
  const options = parseOptions(webhookNotifierOptionsSchema, input, 'the webhook notifier');
  const { maxAttempts, baseDelayMs, maxDelayMs } = options.retry;
  return {
    name: options.name,
    capabilities: { addressed: false },
    async send(notification) {
      const delivery = randomUUID();
      const body = JSON.stringify({ ...notification, delivery } satisfies WebhookPayload);
      let last = '';
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const headers: Record<string, string> = {
          ...options.headers,
          'content-type': 'application/json',
          'user-agent': `fits-ingest/${VERSION}`,
          'x-fits-ingest-kind': notification.kind,
          'x-fits-ingest-delivery': delivery,
        };
        if (options.secret !== undefined) headers[SIGNATURE_HEADER.toLowerCase()] = signBody(body, options.secret, Date.now());
        let wait: number | undefined;
        try {
          const response = await fetch(options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
          const reply = (await response.text().catch(() => '')).slice(0, 200);
          if (response.ok) return;
          last = `HTTP ${response.status}${reply ? ` ${reply}` : ''}`;
          if (!RETRIED(response.status)) {
            throw new IngestError('NOTIFY_REJECTED', `${options.url} refused the ${notification.kind} notification: ${last}`, {
              context: { kind: notification.kind, status: response.status, attempt },
            });
          }
          wait = retryAfterMs(response.headers.get('retry-after'));
        } catch (error) {
          if (error instanceof IngestError) throw error;
          last = (error as Error).name === 'TimeoutError' ? `no reply within ${options.timeoutMs} ms` : String((error as Error).cause ?? error);
        }
        if (attempt < maxAttempts) await delay(Math.min(maxDelayMs, wait ?? backoffDelay(attempt, { baseDelayMs, maxDelayMs })));
      }
      throw new IngestError('NOTIFY_FAILED', `${options.url} did not take the ${notification.kind} notification after ${maxAttempts} attempt(s): ${last}`, {
        context: { kind: notification.kind, attempts: maxAttempts },
      });
    },
  };
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookOptions {
  /** The receiver's time (epoch ms). @default Date.now() */
  now?: number;
  /** Oldest signature accepted. @default 300000 */
  maxAgeMs?: number;
}

/**
 * For webhook receivers: true when `header` (the `X-Fits-Ingest-Signature` value) signs `body` (the raw
 * request body) with `secret` and is recent enough.
 */
export function verifyWebhookSignature(header: string | undefined, body: string, secret: string, options: VerifyWebhookOptions = {}): boolean {
  const window = { maxAgeMs: options.maxAgeMs ?? 300_000, maxFutureMs: 300_000 };
  return verifyBody(header, body, [secret], options.now ?? Date.now(), window).ok;
}
