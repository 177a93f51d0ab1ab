/**
 * Turning what went wrong on the wire into IngestErrors: the server's error body (its code, detail and hint),
 * HTTP statuses without one, and network or TLS failures. Transient ones are retried by the client; the others
 * are not. Internal to src/adapters/http.
 *
 * @module
 */
import type { Response } from 'got';
import { errorCodes, IngestError, type IngestErrorCode } from '../../core/errors.js';
import { errorBodySchema } from './protocol.js';

const BY_STATUS: Record<number, IngestErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'ARCHIVE_ID_CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  423: 'UPLOAD_BUSY',
  429: 'SERVER_ERROR',
};

const isCode = (code: string): code is IngestErrorCode => Object.hasOwn(errorCodes, code);

/** The IngestError for a non-2xx answer. */
export function errorFrom(response: Response<string>, url: string): IngestError {
  const status = response.statusCode;
  let remote: { code: string; message: string; detail?: string; hint?: string } | undefined;
  try {
    remote = errorBodySchema.parse(JSON.parse(response.body)).error;
  } catch {
    remote = undefined;
  }
  const code: IngestErrorCode = remote && isCode(remote.code) ? remote.code : (BY_STATUS[status] ?? (status >= 500 ? 'SERVER_ERROR' : 'BAD_REQUEST'));
  const retryAfter = Number(response.headers['retry-after']);
  const context = {
    url,
    status,
    ...(remote ? { remoteCode: remote.code } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter, 300) * 1000 } : {}),
  };
  const what = remote?.detail ?? remote?.message ?? (response.body.slice(0, 200) || response.statusMessage || 'no detail');
  return new IngestError(code, `${response.request.options.method} ${url} answered ${status}: ${what}`, {
    context,
    ...(remote?.hint ? { hint: remote.hint } : {}),
  });
}

const TLS = /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|EPROTO/;

/** The IngestError for a request that got no answer (connection, TLS, timeout, cancellation). */
export function transportError(error: unknown, url: string, signal: AbortSignal | undefined): IngestError {
  if (error instanceof IngestError) return error;
  const e = error as { code?: string; message?: string; name?: string };
  const message = e.message ?? String(error);
  if (signal?.aborted || e.name === 'AbortError') {
    return new IngestError('ABORTED', `the request to ${url} was cancelled`, { context: { url }, cause: error });
  }
  const code = e.code ?? '';
  if (TLS.test(code)) return new IngestError('TLS_UNTRUSTED', `${url}: ${message} (${code})`, { context: { url, errno: code }, cause: error });
  if (code === 'ETIMEDOUT') return new IngestError('TIMEOUT', `${url}: ${message}`, { context: { url }, cause: error });
  return new IngestError('CONNECTION_FAILED', `${url}: ${message}${code ? ` (${code})` : ''}`, { context: { url, errno: code || null }, cause: error });
}
