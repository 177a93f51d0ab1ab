/**
 * Signed bodies: `X-Fits-Ingest-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">` with a
 * shared secret, the body canonicalized (CRLF → LF, outer whitespace trimmed) so that mail transport cannot break
 * it. The timestamp bounds replays to a window. The webhook notifier signs its POST bodies the same way.
 * Internal to src/adapters.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature (mail and webhook). */
export const SIGNATURE_HEADER = 'X-Fits-Ingest-Signature';

function mac(secret: string, seconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${seconds}.${canonicalBody(body)}`).digest('hex');
}

/** The signature header value for `body`, signed at `nowMs` with `secret`. */
export function signBody(body: string, secret: string, nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000);
  return `t=${seconds},sha256=${mac(secret, seconds, body)}`;
}

/** How far a signature's time may lie from the receiver's clock. */
export interface SignatureWindow {
  /** Oldest accepted signature (mail can wait in queues). */
  maxAgeMs: number;
  /** Furthest accepted time ahead of the receiver's clock (clock skew). */
  maxFutureMs: number;
}

/** The result of {@link verifyBody}. */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a signature header against `body` with any of `secrets` (several during a key rotation). */
export function verifyBody(
  header: string | undefined,
  body: string,
  secrets: readonly string[],
  nowMs: number,
  window: SignatureWindow,
): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: `no ${SIGNATURE_HEADER} header; a signed body is required` };
  const match = /^\s*t=(\d{1,12})\s*,\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(header);
  if (!match) return { ok: false, reason: `${SIGNATURE_HEADER} must read t=<unix seconds>,sha256=<64 hex digits>` };
  const seconds = Number(match[1]);
  const ageMs = nowMs - seconds * 1000;
  if (ageMs > window.maxAgeMs) return { ok: false, reason: `the signature is ${Math.round(ageMs / 1000)} s old (at most ${window.maxAgeMs / 1000} s accepted): a stale or replayed message` };
  if (-ageMs > window.maxFutureMs) return { ok: false, reason: `the signature is dated ${Math.round(-ageMs / 1000)} s in the future: check the sender's clock` };
  const given = Buffer.from(match[2]!.toLowerCase(), 'hex');
  const good = secrets.some((secret) => timingSafeEqual(Buffer.from(mac(secret, seconds, body), 'hex'), given));
  return good ? { ok: true } : { ok: false, reason: 'the signature does not match the body (wrong secret, or the body was changed)' };
}

/** The body as it is signed: CRLF → LF, leading and trailing whitespace removed. */
export function canonicalBody(body: string): string {
  return body.replace(/\r\n?/g, '\n').trim();
}
