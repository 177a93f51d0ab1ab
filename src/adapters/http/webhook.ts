/**
 * Signed status callbacks (webhooks) from the ingest server to the sender: the signature scheme, a verify
 * helper for receivers, and a ready-made receiver for `node:http`.
 *
 * A callback is `POST <url>` with a JSON {@link CallbackPayload} body and the headers
 * `X-Fits-Ingest-Event` (`archived` or `failed`), `X-Fits-Ingest-Delivery` (the same id on every retry: use it to
 * drop repeats) and `X-Fits-Ingest-Signature: t=<unix seconds>,sha256=<hex>`, where the hex is the HMAC-SHA256
 * of `"<t>.<body>"` with the secret shared through the tokens file. The receiver answers 2xx once it has the
 * callback; anything else (or no answer) makes the server retry with backoff.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IngestError } from '../../core/errors.js';
import { signBody, verifyBody } from '../_shared/signature.js';
import { HEADERS, type CallbackPayload } from './protocol.js';

export type { CallbackPayload } from './protocol.js';
export type { IngestStatus, Metrics } from './protocol.js';

/**
 * The `X-Fits-Ingest-Signature` value for `body` sent at `nowMs` — the scheme the mail triggers and the webhook
 * notifier use too (their bodies are canonicalized first: CRLF → LF, outer whitespace trimmed, which leaves a
 * JSON body as it is).
 */
export function signWebhook(secret: string, body: string, nowMs: number = Date.now()): string {
  return signBody(body, secret, nowMs);
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The shared secret (or several, during a rotation). */
  secret: string | readonly string[];
  /** The raw body, exactly as received. */
  body: string;
  /** The `X-Fits-Ingest-Signature` header. */
  signature: string | undefined;
  /** How far the signature time may be from `now` (replay window). @default 300000 */
  toleranceMs?: number;
  /** @default Date.now() */
  now?: number;
}

/**
 * Checks a callback's signature and returns its payload.
 *
 * @throws IngestError WEBHOOK_SIGNATURE_INVALID when the header is missing or malformed, the time is outside the
 * window, or the HMAC does not match (wrong secret, or a changed body).
 */
export function verifyWebhook(options: VerifyWebhookOptions): CallbackPayload {
  const { body, signature, toleranceMs = 300_000, now = Date.now() } = options;
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const check = verifyBody(signature, body, secrets, now, { maxAgeMs: toleranceMs, maxFutureMs: toleranceMs });
  if (!check.ok) throw new IngestError('WEBHOOK_SIGNATURE_INVALID', check.reason);
  try {
    return JSON.parse(body) as CallbackPayload;
  } catch (error) {
    throw new IngestError('BAD_REQUEST', 'the callback body is not JSON', { cause: error });
  }
}

/** Options of {@link createWebhookHandler}. */
export interface WebhookHandlerOptions {
  /** The shared secret (or several, during a rotation). */
  secret: string | readonly string[];
  /** Called once per verified callback; throw (or reject) to make the server retry later. */
  onEvent: (payload: CallbackPayload) => void | Promise<void>;
  /** Largest body accepted. @default 1048576 */
  maxBytes?: number;
  /** Replay window. @default 300000 */
  toleranceMs?: number;
}

/**
 * A `(req, res)` handler that receives callbacks: verifies the signature (401 when it does not verify), drops
 * repeated deliveries, calls `onEvent`, and answers 204 (500 when `onEvent` failed, so the server retries).
 *
 * @example
 * ```ts
 * http.createServer(createWebhookHandler({ secret, onEvent: (p) => console.log(p.event, p.status.archiveId) })).listen(8081)
 * ```
 */
export function createWebhookHandler(options: WebhookHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBytes = options.maxBytes ?? 1 << 20;
  const seen = new Set<string>();
  const answer = (res: ServerResponse, status: number, message?: string) => {
    res.writeHead(status, message ? { 'content-type': 'application/json' } : {}).end(message ? JSON.stringify({ error: { message } }) : undefined);
  };
  return (req, res) => {
    if (req.method !== 'POST') return answer(res, 405, 'callbacks are POSTed');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        answer(res, 413, 'body too large');
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: CallbackPayload;
      try {
        payload = verifyWebhook({ secret: options.secret, body, signature: req.headers[HEADERS.signature] as string | undefined, ...(options.toleranceMs !== undefined ? { toleranceMs: options.toleranceMs } : {}) });
      } catch (error) {
        return answer(res, 401, (error as Error).message);
      }
      if (seen.has(payload.deliveryId)) return answer(res, 204);
      Promise.resolve()
        .then(() => options.onEvent(payload))
        .then(
          () => {
            seen.add(payload.deliveryId);
            if (seen.size > 100_000) seen.delete(seen.values().next().value!);
            answer(res, 204);
          },
          (error: unknown) => answer(res, 500, error instanceof Error ? error.message : String(error)),
        );
    });
  };
}
