/**
 * Webhook subscriptions registered through the API: each subscriber has a durable cursor in the catalog and one
 * delivery loop that POSTs the events after it, in order, in signed batches, retrying with backoff (never giving
 * up, never skipping) until the subscriber answers 2xx, then moves the cursor. A subscriber that is down gets its
 * backlog when it comes back; a server restart resumes from the stored cursor. Each delivery holds only events the
 * registering token may read now (a token removed or expired pauses its subscriptions). Internal to
 * src/adapters/http.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { IngestError } from '../../core/errors.js';
import type { ArchiveEvent, EventFilter, Subscription } from '../../core/ports/archive-events.js';
import type { Catalog } from '../../core/ports/catalog.js';
import type { Logger } from '../../core/ports/logger.js';
import { ANONYMOUS, isAdmin, refusal, type Principal } from './_auth.js';
import { post } from './_callbacks.js';
import type { EventFeed } from './_feed.js';
import { HEADERS } from './protocol.js';
import { backoffDelay } from '../../core/lifecycle/backoff.js';
import { signWebhook } from './webhook.js';

/** Timing of deliveries (the server's callback settings). */
export interface DeliverySettings {
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Most events in one POST. */
  batch: number;
  /** Least time between two writes of a subscription's cursor. */
  persistMs: number;
}

/** What a subscription delivery POSTs. */
export interface EventDelivery {
  subscription: string;
  /** The same on every retry of one batch: `<subscription>:<first seq>-<last seq>`. */
  deliveryId: string;
  events: (ArchiveEvent & { urls: EventUrls })[];
  /** The seq the subscriber's cursor moves to once it answers 2xx. */
  cursor: number;
}

/** Where the API serves an event's file. */
export interface EventUrls {
  file: string | null;
  content: string | null;
}

/** An event with the API paths of its file. */
export function withUrls(event: ArchiveEvent, api: string): ArchiveEvent & { urls: EventUrls } {
  const id = event.archiveId === null ? null : encodeURIComponent(event.archiveId);
  const archived = event.kind === 'archived' && id !== null;
  return { ...event, urls: { file: id === null ? null : `${api}/files/${id}`, content: archived ? `${api}/files/${id}/content` : null } };
}

/** A subscription as its owner sees it (the secret is shown once, at creation). */
export type SubscriptionView = Omit<Subscription, 'secret' | 'tokenSha256'>;
const view = ({ secret: _secret, tokenSha256: _token, ...rest }: Subscription): SubscriptionView => rest;

interface Options {
  catalog: Catalog;
  feed: EventFeed;
  api: string;
  settings: DeliverySettings;
  /** The principal of a stored token digest now (null digest: anonymous). */
  principalOf: (tokenSha256: string | null) => Principal | undefined;
  logger: Logger;
  random: () => number;
}

/** Subscriptions and their delivery loops. */
export class SubscriptionService {
  readonly #o: Options;
  readonly #loops = new Map<string, { stop: () => void; done: Promise<void> }>();
  #closed = false;
  /** Called after each delivery attempt (tests). */
  onAttempt: (id: string, outcome: { ok: boolean; status?: number; error?: string; cursor: number }) => void = () => {};

  constructor(options: Options) {
    this.#o = options;
  }

  #store() {
    const c = this.#o.catalog;
    if (!c.addSubscription || !c.subscriptions || !c.removeSubscription || !c.advanceSubscription || !c.events) {
      throw new IngestError('UNSUPPORTED_OPERATION', `the ${c.name} catalog keeps no subscriptions (memory, sqlite, postgres do)`);
    }
    return { add: c.addSubscription.bind(c), all: c.subscriptions.bind(c), remove: c.removeSubscription.bind(c), advance: c.advanceSubscription.bind(c), events: c.events.bind(c) };
  }

  /** Starts a loop for every stored subscription (no-op for a catalog without them). */
  async start(): Promise<void> {
    const c = this.#o.catalog;
    if (!c.subscriptions) return;
    for (const s of await c.subscriptions()) this.#run(s);
  }

  /** Registers a subscription for `principal`; its cursor starts at `after`, or at the newest event. */
  async add(principal: Principal, tokenSha256: string | null, input: { url: string; secret?: string | undefined; filter: EventFilter; after?: number | undefined }): Promise<Subscription> {
    const store = this.#store();
    const cursor = input.after ?? (await this.#newest());
    const subscription: Subscription = {
      id: randomBytes(12).toString('hex'),
      site: principal.site,
      tokenSha256,
      url: input.url,
      secret: input.secret ?? randomBytes(24).toString('base64url'),
      filter: input.filter,
      cursor,
      createdAt: Date.now(),
    };
    await store.add(subscription);
    this.#run(subscription);
    return subscription;
  }

  /** The newest event's seq (a read matching no event moves the cursor to the end of the log). */
  async #newest(): Promise<number> {
    return (await this.#store().events({ after: 0, kinds: [], limit: 1 })).cursor;
  }

  /** The subscriptions `principal` may see: its site's (an admin: all). */
  async list(principal: Principal): Promise<SubscriptionView[]> {
    return (await this.#store().all()).filter((s) => isAdmin(principal) || s.site === principal.site).map(view);
  }

  /** One subscription, if `principal` may see it. */
  async get(principal: Principal, id: string): Promise<SubscriptionView> {
    const found = (await this.#store().all()).find((s) => s.id === id);
    if (!found || !(isAdmin(principal) || found.site === principal.site)) throw refusal(new IngestError('NOT_FOUND', `no subscription ${id}`, { context: { subscription: id } }));
    return view(found);
  }

  /** Removes a subscription of `principal`'s site (an admin: any) and stops its deliveries. */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.get(principal, id);
    await this.#store().remove(id);
    this.#loops.get(id)?.stop();
  }

  /** Stops every loop; cursors stay in the catalog. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const loop of this.#loops.values()) loop.stop();
    await Promise.allSettled([...this.#loops.values()].map((l) => l.done));
  }

  #run(subscription: Subscription): void {
    if (this.#closed || this.#loops.has(subscription.id)) return;
    let stopped = false;
    let wake = (): void => {};
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => (clearTimeout(timer), resolve());
      });
    const stop = (): void => {
      stopped = true;
      wake();
    };
    const done = this.#loop(subscription, () => stopped || this.#closed, pause).catch((error: unknown) =>
      this.#o.logger.error('subscription loop ended', { subscription: subscription.id, error: String(error) }),
    ).finally(() => this.#loops.delete(subscription.id));
    this.#loops.set(subscription.id, { stop, done });
  }

  async #loop(s: Subscription, stopped: () => boolean, pause: (ms: number) => Promise<void>): Promise<void> {
    const { feed, settings, logger } = this.#o;
    let cursor = s.cursor;
    let failures = 0;
    // The cursor is written at most once a second (and when the loop ends): a crash in between delivers the last
    // batches again, with the same seqs and delivery ids, rather than paying a catalog commit per delivery.
    let stored = s.cursor;
    let storedAt = 0;
    const persist = async (now: boolean): Promise<void> => {
      if (cursor <= stored || (!now && Date.now() - storedAt < settings.persistMs)) return;
      await this.#store().advance(s.id, cursor).catch((error: unknown) => logger.warn('subscription cursor not stored', { subscription: s.id, error: String(error) }));
      stored = cursor;
      storedAt = Date.now();
    };
    while (!stopped()) {
      const principal = s.tokenSha256 === null ? ANONYMOUS : this.#o.principalOf(s.tokenSha256);
      if (!principal) {
        logger.warn('subscription paused: its token is no longer accepted', { subscription: s.id, site: s.site });
        await pause(settings.maxDelayMs);
        continue;
      }
      const page = await feed.read(principal, s.filter, cursor, settings.batch, cursor > stored ? settings.persistMs : 25_000, { returnOnSkip: true }).catch((error: unknown) => {
        logger.warn('subscription could not read the event log', { subscription: s.id, error: String(error) });
        return undefined;
      });
      if (stopped()) break;
      if (!page) {
        await pause(settings.baseDelayMs || 1000);
        continue;
      }
      if (page.events.length === 0) {
        // Caught up (or only passed events the token may not read): store where it is.
        cursor = page.cursor;
        await persist(true);
        continue;
      }
      const delivery: EventDelivery = {
        subscription: s.id,
        deliveryId: `${s.id}:${page.events[0]!.seq}-${page.events.at(-1)!.seq}`,
        events: page.events.map((e) => withUrls(e, this.#o.api)),
        cursor: page.cursor,
      };
      const body = JSON.stringify(delivery);
      // The same batch until it is taken: in order, none skipped.
      for (;;) {
        if (stopped()) return void (await persist(true));
        const outcome = await post(s.url, body, {
          'content-type': 'application/json',
          [HEADERS.event]: 'events',
          [HEADERS.delivery]: delivery.deliveryId,
          [HEADERS.signature]: signWebhook(s.secret, body),
        }, settings.timeoutMs);
        const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
        this.onAttempt(s.id, { ok, ...outcome, cursor: page.cursor });
        if (ok) break;
        failures++;
        logger.warn('subscriber did not take the events; retrying', { subscription: s.id, url: s.url, failures, ...outcome });
        await pause(backoffDelay(failures, settings, this.#o.random));
      }
      failures = 0;
      cursor = page.cursor;
      await persist(false);
    }
    await persist(true);
  }
}
