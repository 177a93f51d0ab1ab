/**
 * Request and response plumbing of the ingest server on plain `node:http`: JSON bodies with a size limit,
 * error answers with the IngestError code and the right status, and zod validation that names the field.
 * Internal to src/adapters/http.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { IngestError, toIngestError, type IngestErrorCode } from '../../core/errors.js';

/** HTTP status of each error code the server answers with; others follow their kind. */
const STATUS: Partial<Record<IngestErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNSAFE_DESTINATION: 400,
  INVALID_OPTIONS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UPLOAD_NOT_FOUND: 404,
  ARCHIVE_ID_CONFLICT: 409,
  UPLOAD_OFFSET_MISMATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  DIGEST_MISMATCH: 422,
  CHECKSUM_MISMATCH: 422,
  NOT_RECEIVED: 422,
  PARENT_UNKNOWN: 422,
  UPLOAD_BUSY: 423,
  SERVER_ERROR: 503,
};
const BY_KIND = { invalid: 422, usage: 400, transient: 503, internal: 500 } as const;

/** The HTTP status for an error. */
export function statusOf(error: IngestError): number {
  return STATUS[error.code] ?? BY_KIND[error.kind];
}

const redactions = new WeakMap<ServerResponse, (text: string) => string>();

/**
 * Hides the server's own directories from what `res` sends: every path under one of `roots` in a JSON answer
 * (an error message, a record's error, a history entry) is replaced by its last segment, the file's name.
 */
export function redactPaths(res: ServerResponse, roots: readonly string[]): void {
  const escaped = roots.map((r) => r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?:${escaped.join('|')})(?:[/\\\\][^\\s'"\\\\/]+)*[/\\\\]?`, 'g');
  redactions.set(res, (text) => text.replace(pattern, (path) => path.split(/[/\\]+/).filter(Boolean).pop() ?? '(upload area)'));
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const raw = JSON.stringify(body);
  const text = redactions.get(res)?.(raw) ?? raw;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/**
 * Answers with an error. When the request body was not read, the connection is closed after the answer (the
 * client may still be sending), rather than read to the end.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const e = toIngestError(error);
  const status = statusOf(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = `Bearer realm="fits-ingest"${e.detail === 'no bearer token' ? '' : ', error="invalid_token"'}`;
  if (status === 403) headers['www-authenticate'] = 'Bearer realm="fits-ingest", error="insufficient_scope"';
  if (status === 503 || status === 423) headers['retry-after'] = '1';
  const unread = !req.readableEnded && req.method !== 'GET' && req.method !== 'HEAD';
  if (unread) headers['connection'] = 'close';
    // `detail`: the message without its code and hint (location included), for clients that add their own.
  const cut = e.message.lastIndexOf(` [${e.code}]`);
  const detail = cut >= 0 ? e.message.slice(0, cut) : e.detail;
  sendJson(res, status, { error: { code: e.code, message: e.message, detail, hint: e.hint } }, headers);
  if (unread) {
    // Let the answer reach the client before the socket goes; discard what it still sends meanwhile.
    req.resume();
    const timer = setTimeout(() => req.destroy(), 2000);
    timer.unref();
    req.on('end', () => clearTimeout(timer));
  }
}

/** `BAD_REQUEST` from a zod error, naming the first field. */
export function badRequest(error: z.ZodError, what: string): IngestError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.');
  return new IngestError('BAD_REQUEST', `${what}: ${field ? `${field}: ` : ''}${issue.message}`, { context: { field: field || '(body)' } });
}

/** Parses with `schema` or throws BAD_REQUEST. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(result.error, what);
  return result.data;
}

/** The media type of a request, lower case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The declared body length, or undefined for chunked bodies. */
export function contentLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,16}$/.test(header)) throw new IngestError('BAD_REQUEST', `Content-Length ${JSON.stringify(header)} is not a number`);
  return Number(header);
}

/**
 * Reads a JSON body of at most `maxBytes`.
 *
 * @throws IngestError PAYLOAD_TOO_LARGE, BAD_REQUEST (not JSON, wrong content type)
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = mediaType(req);
  if (type !== 'application/json') throw new IngestError('BAD_REQUEST', `expected Content-Type: application/json, got ${type || '(none)'}`);
  const declared = contentLength(req);
  if (declared !== undefined && declared > maxBytes) {
    throw new IngestError('PAYLOAD_TOO_LARGE', `the JSON body has ${declared} bytes; at most ${maxBytes} are accepted`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new IngestError('PAYLOAD_TOO_LARGE', `the JSON body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new IngestError('BAD_REQUEST', `the body is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Query parameter text → typed values for the schemas ('true'/'false', numbers, comma lists). */
export function queryValue(text: string, kind: 'boolean' | 'number' | 'string' | 'list'): unknown {
  switch (kind) {
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    case 'number':
      return /^\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    case 'list':
      return text === '' ? [] : text.split(',');
    default:
      return text;
  }
}
