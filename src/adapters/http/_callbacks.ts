/**
 * Delivery of signed callbacks to senders, retried with exponential backoff and jitter. A pending delivery is a
 * file in `callbacks/` (payload, site, attempts, next time), so deliveries survive a restart; one that used up
 * its attempts moves to `callbacks/failed/` for the operator. The target URL and secret are looked up from the
 * site's token at each attempt, never stored. Internal to src/adapters/http.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/ports/logger.js';
import { writeFileAtomic } from '../_shared/files.js';
import { HEADERS, type CallbackPayload } from './protocol.js';
import { backoffDelay } from '../../core/lifecycle/backoff.js';
import { type RetrySettings } from './_retry.js';
import { signWebhook } from './webhook.js';

/** Settings of callback delivery. */
export interface CallbackSettings extends RetrySettings {
  /** Time limit of one attempt. */
  timeoutMs: number;
}

interface Pending {
  payload: CallbackPayload;
  attempts: number;
  nextAt: number;
}

/** Sends callbacks, persistently. */
export class CallbackSender {
  readonly #dir: string;
  readonly #settings: CallbackSettings;
  readonly #target: (site: string) => { url: string; secret: string } | undefined;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #fsync: boolean;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;
  /** Called after each attempt (for tests and logs). */
  onAttempt: (deliveryId: string, outcome: { ok: boolean; status?: number; error?: string; final: boolean }) => void = () => {};

  constructor(options: {
    dir: string;
    settings: CallbackSettings;
    target: (site: string) => { url: string; secret: string } | undefined;
    logger: Logger;
    random: () => number;
    fsync: boolean;
  }) {
    this.#dir = options.dir;
    this.#settings = options.settings;
    this.#target = options.target;
    this.#logger = options.logger;
    this.#random = options.random;
    this.#fsync = options.fsync;
  }

  /** Loads the deliveries an earlier run left pending and schedules them. */
  async start(): Promise<void> {
    await mkdir(join(this.#dir, 'failed'), { recursive: true });
    for (const name of await readdir(this.#dir)) {
      if (!/^[0-9a-f-]{36}\.json$/.test(name)) continue;
      const pending = JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as Pending;
      this.#schedule(pending);
    }
  }

  /** Queues a callback for a site that has a callback target; returns its delivery id, or undefined. */
  async send(event: CallbackPayload['event'], site: string, status: CallbackPayload['status']): Promise<string | undefined> {
    if (this.#closed || !this.#target(site)) return undefined;
    const payload: CallbackPayload = { event, deliveryId: randomUUID(), site, status };
    const pending: Pending = { payload, attempts: 0, nextAt: Date.now() };
    await this.#save(pending);
    this.#schedule(pending);
    return payload.deliveryId;
  }

  async #save(pending: Pending): Promise<void> {
    await writeFileAtomic(this.#dir, `${pending.payload.deliveryId}.json`, `${JSON.stringify(pending)}\n`, this.#fsync);
  }

  #schedule(pending: Pending): void {
    if (this.#closed) return;
    const id = pending.payload.deliveryId;
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      const attempt = this.#attempt(pending).catch((error: unknown) => this.#logger.error('callback delivery failed unexpectedly', { deliveryId: id, error: String(error) }));
      this.#inFlight.add(attempt);
      void attempt.finally(() => this.#inFlight.delete(attempt));
    }, Math.max(0, pending.nextAt - Date.now()));
    timer.unref();
    this.#timers.set(id, timer);
  }

  async #attempt(pending: Pending): Promise<void> {
    const id = pending.payload.deliveryId;
    const target = this.#target(pending.payload.site);
    const file = join(this.#dir, `${id}.json`);
    if (!target) {
      this.#logger.warn('callback dropped: the site has no callback target any more', { deliveryId: id, site: pending.payload.site });
      await rm(file, { force: true });
      return;
    }
    const body = JSON.stringify(pending.payload);
    const outcome = await post(target.url, body, {
      'content-type': 'application/json',
      [HEADERS.event]: pending.payload.event,
      [HEADERS.delivery]: id,
      [HEADERS.signature]: signWebhook(target.secret, body),
    }, this.#settings.timeoutMs);
    pending.attempts++;
    const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
    const final = ok || pending.attempts >= this.#settings.maxAttempts;
    this.onAttempt(id, { ok, final, ...outcome });
    if (ok) return void (await rm(file, { force: true }));
    if (final) {
      this.#logger.error('callback abandoned after its attempts', { deliveryId: id, url: target.url, ...outcome });
      await rename(file, join(this.#dir, 'failed', `${id}.json`)).catch(() => undefined);
      return;
    }
    pending.nextAt = Date.now() + backoffDelay(pending.attempts, this.#settings, this.#random);
    this.#logger.warn('callback not accepted; retrying', { deliveryId: id, url: target.url, attempts: pending.attempts, ...outcome });
    if (this.#closed) return;
    await this.#save(pending);
    this.#schedule(pending);
  }

  /** Stops scheduling; waits for attempts in flight. Pending deliveries stay on disk for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }
}

/** POSTs a body; resolves with the status or the error, never rejects. */
export function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end(body);
  });
}
