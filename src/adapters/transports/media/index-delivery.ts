/**
 * Delivering media index messages over HTTP: {@link httpIndexSender} POSTs a message, signed with the shared
 * secret (`X-Fits-Ingest-Signature`, the same HMAC as signed mail and webhooks), and
 * {@link createIndexMessageHandler} is the receiving `(req, res)` handler that verifies it and applies it to the
 * receiver's catalog (`fits-ingest media receive` runs one). A message body can also travel by mail or as a file
 * and be applied with `fits-ingest media apply FILE`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IngestError } from '../../../core/errors.js';
import type { Catalog } from '../../../core/ports/catalog.js';
import { SIGNATURE_HEADER, signBody, verifyBody } from '../../_shared/signature.js';
import { applyIndexMessage, parseIndexMessage, type ApplyIndexOptions, type IndexMessage } from './index-messages.js';

/** Sends one message; rejects when the receiver did not take it (the sender keeps it and tries again later). */
export type IndexMessageSender = (message: IndexMessage) => Promise<void>;

/** Shared secrets are at least this long. */
const MIN_SECRET = 16;

function checkSecret(secret: string): void {
  if (secret.length < MIN_SECRET) throw new IngestError('INVALID_OPTIONS', `the index message secret must have ${MIN_SECRET} characters or more`, { context: { field: 'secret' } });
}

/** A sender that POSTs each message as JSON to `url`, signed with `secret`. */
export function httpIndexSender(options: { url: string; secret: string; timeoutMs?: number; now?: () => number }): IndexMessageSender {
  checkSecret(options.secret);
  return async (message) => {
    const body = JSON.stringify(message);
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(body, options.secret, (options.now ?? Date.now)()) },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new IngestError('CONNECTION_FAILED', `${options.url} did not take the index of ${message.label}: ${String((error as Error).cause ?? error)}`, { cause: error });
    }
    if (!response.ok) {
      throw new IngestError('REMOTE_REJECTED', `${options.url} refused the index of ${message.label}: ${response.status} ${(await response.text()).slice(0, 300)}`, {
        context: { status: response.status },
      });
    }
  };
}

/** Options of {@link createIndexMessageHandler}. */
export interface IndexMessageHandlerOptions extends ApplyIndexOptions {
  catalog: Catalog;
  /** The shared secret (or several, during a rotation). */
  secret: string | readonly string[];
  /** Largest body accepted. @default 64 MiB */
  maxBytes?: number;
  /** Oldest signature accepted (a sender re-signs each attempt). @default 1 day */
  maxAgeMs?: number;
}

/**
 * The receiving handler: POST a signed message → 200 with the apply report as JSON; 401 when the signature does
 * not verify, 400 when the body is not a message, 413 when too large, 500 when the catalog failed (the sender
 * tries again).
 */
export function createIndexMessageHandler(options: IndexMessageHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret];
  secrets.forEach(checkSecret);
  const maxBytes = options.maxBytes ?? 64 << 20;
  const window = { maxAgeMs: options.maxAgeMs ?? 86_400_000, maxFutureMs: 300_000 };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  return (req, res) => {
    if (req.method !== 'POST') return answer(res, 405, { error: { message: 'index messages are POSTed' } });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        answer(res, 413, { error: { message: `body larger than ${maxBytes} bytes` } });
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBytes) return;
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifyBody(req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, body, secrets, (options.now ?? Date.now)(), window);
      if (!check.ok) return answer(res, 401, { error: { code: 'UNAUTHORIZED', message: check.reason } });
      let message: IndexMessage;
      try {
        message = parseIndexMessage(body);
      } catch (error) {
        return answer(res, 400, { error: { code: 'BAD_REQUEST', message: (error as Error).message } });
      }
      applyIndexMessage(options.catalog, message, options).then(
        (report) => answer(res, 200, report),
        (error: unknown) => answer(res, 500, { error: { message: error instanceof Error ? error.message : String(error) } }),
      );
    });
  };
}
