/**
 * The HTTP client of the ingest protocol, on got: keep-alive connections, bounded concurrency, time limits,
 * uploads that resume after a dropped connection (HEAD for the offset, PATCH from there), retries with
 * exponential backoff and jitter for transient failures only, and a check of every receipt against what was
 * sent. Used by the HTTP transport and `fits-ingest push`. Internal to src/adapters/http.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Got, Response } from 'got';
import { IngestError, toIngestError } from '../../core/errors.js';
import type { Logger } from '../../core/ports/logger.js';
import { VERSION } from '../../core/version.js';
import { errorFrom, transportError } from './_client-errors.js';
import { API, HEADERS, ingestStatusSchema, receivedSchema, uploadCreatedSchema, type FileMeta, type IngestRequest, type IngestStatus, type Received } from './protocol.js';
import { backoffDelay } from '../../core/lifecycle/backoff.js';
import { sleep, type RetrySettings } from './_retry.js';

/** Resolved settings of {@link IngestClient}. */
export interface ClientSettings {
  url: string;
  token: string | undefined;
  ca: string | Buffer | undefined;
  concurrency: number;
  /** Files up to this size go in one request; larger ones as a resumable upload. */
  oneShotMaxBytes: number;
  timeouts: { connectMs: number; idleMs: number };
  retry: RetrySettings;
  logger: Logger;
  random: () => number;
}

type Call = { method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE'; path: string; json?: unknown; file?: { path: string; start: number; end: number }; headers?: Record<string, string>; query?: Record<string, string> };

/** A client of one ingest server. */
export class IngestClient {
  readonly settings: ClientSettings;
  /** got, loaded on first use (an ESM-only package: a dynamic import also works from the CommonJS build). */
  readonly #got: Promise<Got>;
  readonly #agents: { http: HttpAgent; https: HttpsAgent };
  #active = 0;
  readonly #queue: (() => void)[] = [];

  constructor(settings: ClientSettings) {
    this.settings = settings;
    const agent = { keepAlive: true, maxSockets: settings.concurrency * 2, scheduling: 'lifo' as const };
    this.#agents = { http: new HttpAgent(agent), https: new HttpsAgent({ ...agent, ...(settings.ca ? { ca: settings.ca } : {}) }) };
    this.#got = import('got').then(
      ({ default: got }) =>
        got.extend({
          agent: this.#agents,
          headers: { 'user-agent': `fits-ingest/${VERSION}`, ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}) },
          timeout: { connect: settings.timeouts.connectMs, secureConnect: settings.timeouts.connectMs, socket: settings.timeouts.idleMs },
          retry: { limit: 0 },
          throwHttpErrors: false,
          followRedirect: false,
          responseType: 'text',
          ...(settings.ca ? { https: { certificateAuthority: settings.ca } } : {}),
        }),
      (error: unknown) => {
        throw new IngestError('DEPENDENCY_MISSING', `could not load the package got, which the HTTP client uses: ${(error as Error).message}`, {
          cause: error,
          hint: 'install got; from CommonJS, got (ESM only) loads on Node.js 20.19 or later — or import fits-ingest as ESM',
        });
      },
    );
    this.#got.catch(() => undefined); // reported at the first request
  }

  /** Runs `fn` when fewer than `concurrency` calls are running. */
  async limit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.settings.concurrency) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }

  /** One request; non-2xx answers become IngestErrors with the server's code. */
  async #call(call: Call, signal?: AbortSignal): Promise<Response<string>> {
    const url = `${this.settings.url.replace(/\/+$/, '')}${API}${call.path}`;
    const request = await this.#got;
    let response: Response<string>;
    try {
      response = await request(url, {
        method: call.method,
        ...(call.json !== undefined ? { json: call.json } : {}),
        ...(call.file ? { body: createReadStream(call.file.path, { start: call.file.start, end: call.file.end - 1, highWaterMark: 1 << 20 }) } : {}),
        headers: { ...call.headers, ...(call.file ? { 'content-length': String(call.file.end - call.file.start) } : {}) },
        ...(call.query ? { searchParams: call.query } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw transportError(error, url, signal);
    }
    if (response.statusCode >= 400) throw errorFrom(response, url);
    return response;
  }

  async #json<T>(call: Call, schema: { parse(v: unknown): T }, signal?: AbortSignal): Promise<{ status: number; body: T; response: Response<string> }> {
    const response = await this.#call(call, signal);
    try {
      return { status: response.statusCode, body: schema.parse(JSON.parse(response.body)), response };
    } catch (error) {
      throw new IngestError('SERVER_ERROR', `${call.method} ${call.path} answered ${response.statusCode} with a body that is not the protocol's: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Runs `attempt` again after transient failures, with backoff; throws the last error. */
  async retrying<T>(what: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        const e = toIngestError(error);
        if (e.kind !== 'transient' || e.code === 'ABORTED' || failures >= this.settings.retry.maxAttempts) throw e;
        await this.#pause(what, failures, e, signal);
      }
    }
  }

  async #pause(what: string, failures: number, error: IngestError, signal?: AbortSignal): Promise<void> {
    const delay = Math.max(backoffDelay(failures, this.settings.retry, this.settings.random), Number(error.context['retryAfterMs'] ?? 0));
    this.settings.logger.warn(`${what}: retrying`, { code: error.code, attempt: failures, delayMs: delay, message: error.message });
    try {
      await sleep(delay, signal);
    } catch (reason) {
      throw new IngestError('ABORTED', `${what} was cancelled`, { cause: reason });
    }
  }

  /**
   * Uploads a file and returns the server's receipt, checked against the declaration. Files up to
   * `oneShotMaxBytes` go in one request (with `ingest` asking for their ingestion in it); larger ones resume
   * after a failure from the offset the server holds.
   */
  async upload(path: string, meta: FileMeta, signal?: AbortSignal, ingest?: { wait: number }): Promise<Received> {
    const received =
      meta.size <= this.settings.oneShotMaxBytes
        ? await this.retrying(`upload of ${meta.name}`, () => this.#oneShot(path, meta, ingest, signal), signal)
        : await this.#resumable(path, meta, signal);
    if (received.sha256 !== meta.sha256 || received.size !== meta.size) {
      throw new IngestError('DIGEST_MISMATCH', `the server's receipt says ${received.size} bytes with SHA-256 ${received.sha256}; ${meta.size} bytes with ${meta.sha256} were sent`, {
        context: { file: path },
      });
    }
    return received;
  }

  async #oneShot(path: string, meta: FileMeta, ingest: { wait: number } | undefined, signal?: AbortSignal): Promise<Received> {
    const query: Record<string, string> = { sha256: meta.sha256, size: String(meta.size), name: meta.name, level: String(meta.level) };
    if (meta.archiveId !== undefined) query['archiveId'] = meta.archiveId;
    if (meta.instrument !== undefined) query['instrument'] = meta.instrument;
    if (meta.parents.length > 0) query['parents'] = meta.parents.join(',');
    if (meta.hdus.length > 0) query['hdus'] = meta.hdus.map((h) => `${h.index}:${h.datasum}:${h.checksum}`).join(',');
    if (meta.prepared) query['prepared'] = 'true';
    if (meta.replace) query['replace'] = 'true';
    if (ingest) Object.assign(query, { ingest: 'true', wait: String(ingest.wait) });
    const call: Call = { method: 'POST', path: '/uploads', query, file: { path, start: 0, end: meta.size }, headers: { 'content-type': 'application/fits' } };
    return (await this.#json(call, receivedSchema, signal)).body;
  }

  async #resumable(path: string, meta: FileMeta, signal?: AbortSignal): Promise<Received> {
    const what = `upload of ${meta.name}`;
    let uploadId: string | undefined;
    let best = 0;
    for (let failures = 0; ; ) {
      try {
        let offset: number;
        if (uploadId === undefined) {
          const created = await this.#json({ method: 'POST', path: '/uploads', json: meta }, receivedSchema.or(uploadCreatedSchema), signal);
          if (created.body.status !== 'created') return created.body;
          ({ uploadId, offset } = created.body);
        } else {
          const head = await this.#call({ method: 'HEAD', path: `/uploads/${uploadId}` }, signal);
          offset = Number(head.headers[HEADERS.offset]);
          this.settings.logger.info(`${what}: resuming`, { uploadId, offset, size: meta.size });
        }
        if (offset > best) {
          best = offset;
          failures = 0; // progress was made: a flaky link gets its attempts back
        }
        const call: Call = { method: 'PATCH', path: `/uploads/${uploadId}`, file: { path, start: offset, end: meta.size }, headers: { 'content-type': 'application/offset+octet-stream', [HEADERS.offset]: String(offset) } };
        const response = await this.#call(call, signal);
        if (response.statusCode === 200) return receivedSchema.parse(JSON.parse(response.body));
        throw new IngestError('UPLOAD_OFFSET_MISMATCH', `the server holds ${response.headers[HEADERS.offset]} of ${meta.size} bytes after the last PATCH`);
      } catch (error) {
        const e = toIngestError(error, { file: path });
        if (e.kind !== 'transient' || e.code === 'ABORTED') throw e;
        // The server dropped the partial (bytes changed on the way, expired): start over.
        if (e.code === 'DIGEST_MISMATCH' || e.code === 'UPLOAD_NOT_FOUND') uploadId = undefined;
        if (++failures >= this.settings.retry.maxAttempts) throw e;
        await this.#pause(what, failures, e, signal);
      }
    }
  }

  /** Asks for the ingestion of a received file (idempotent). */
  async ingest(request: IngestRequest, signal?: AbortSignal): Promise<IngestStatus> {
    return this.retrying(`ingestion of ${request.name}`, async () => (await this.#json({ method: 'POST', path: '/ingest', json: request }, ingestStatusSchema, signal)).body, signal);
  }

  /** Polls (long-polling `waitSeconds` at a time) until the ingestion is final or `timeoutMs` passed. */
  async waitFinal(status: IngestStatus, timeoutMs: number, waitSeconds: number, signal?: AbortSignal): Promise<IngestStatus> {
    const deadline = Date.now() + timeoutMs;
    let current = status;
    while (!current.final) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new IngestError('TIMEOUT', `the archive did not finish ingesting ${current.originalName} within ${timeoutMs} ms (state ${current.state})`, {
          context: { recordId: current.recordId },
        });
      }
      const wait = String(Math.max(1, Math.min(waitSeconds, Math.ceil(left / 1000))));
      current = await this.retrying(`status of ${current.originalName}`, async () => (await this.#json({ method: 'GET', path: `/ingest/${current.recordId}`, query: { wait } }, ingestStatusSchema, signal)).body, signal);
    }
    return current;
  }

  /** `GET /v1/files/{archiveId}` (undefined on 404). */
  async file(archiveId: string, signal?: AbortSignal): Promise<unknown> {
    try {
      return JSON.parse((await this.#call({ method: 'GET', path: `/files/${encodeURIComponent(archiveId)}` }, signal)).body);
    } catch (error) {
      if (error instanceof IngestError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
