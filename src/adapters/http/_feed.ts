/**
 * The archive's event feed for HTTP readers: pages of the catalog's event log after a cursor, only the events the
 * reader's token may read, waiting (long-poll) until one arrives. This process's own commits wake waiting readers
 * at once; a timer re-reads the log for events other processes sharing the catalog committed. Internal to
 * src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { HistoryEntry } from '../../core/lifecycle/record.js';
import { isEventState } from '../../core/ports/archive-events-of.js';
import type { ArchiveEvent, EventFilter, EventPage, NewArchiveEvent } from '../../core/ports/archive-events.js';
import type { Catalog } from '../../core/ports/catalog.js';
import type { Ingestor } from '../../core/runtime/engine.js';
import type { Principal } from './_auth.js';
import { mayReadStored } from './_embargo.js';
import { EventCache } from './_event-cache.js';
import type { IngestStatus } from './protocol.js';

/** The event log methods a feed needs, or UNSUPPORTED_OPERATION naming the catalog. */
export function eventLog(catalog: Catalog): Required<Pick<Catalog, 'events' | 'appendEvent'>> {
  const { events, appendEvent } = catalog;
  if (!events || !appendEvent) {
    throw new IngestError('UNSUPPORTED_OPERATION', `the ${catalog.name} catalog keeps no event log; the feed and subscriptions need one (memory, sqlite, postgres do)`);
  }
  return { events: events.bind(catalog), appendEvent: appendEvent.bind(catalog) };
}


/** How long a wake-up waits for more events committed at nearly the same time. */
const COALESCE_MS = 5;

/**
 * Waits for events, for readers in this process. The newest events are read once per batch of commits into a
 * shared window ({@link EventCache}) that every waiting reader is answered from; a wake-up comes at most every
 * `batchMs`, so under load each subscriber's answer carries the events of one batch rather than one event.
 */
export class EventFeed {
  readonly #ingestor: Ingestor;
  readonly #pollMs: number;
  readonly #batchMs: number;
  readonly #now: () => number;
  readonly #cache: EventCache;
  #changed!: Promise<void>;
  #wake!: () => void;
  #closed = false;
  /** A commit since the last refresh of the window. */
  #dirty = false;
  #pending: NodeJS.Timeout | undefined;
  readonly #onState = (_record: unknown, entry: HistoryEntry): void => {
    if (isEventState(entry)) this.wake();
  };

  /**
   * @param now the time proprietary periods are judged at (the server's clock, injectable for tests)
   * @param batchMs least time between two wake-ups of waiting readers
   */
  constructor(ingestor: Ingestor, pollMs: number, now: () => number = Date.now, batchMs = 100) {
    this.#ingestor = ingestor;
    this.#pollMs = pollMs;
    this.#batchMs = batchMs;
    this.#now = now;
    this.#cache = new EventCache((query) => eventLog(this.#ingestor.catalog).events(query));
    this.#renew();
    ingestor.on('state', this.#onState);
  }

  #renew(): void {
    this.#changed = new Promise((resolve) => (this.#wake = resolve));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Catalog reads of the shared window so far (tests and the bench). */
  get windowReads(): number {
    return this.#cache.reads;
  }

  /**
   * A new event was committed: the window is refreshed and every waiting reader woken, a few ms later and at most
   * once per `batchMs`, so the events committed meanwhile go in the same answers.
   */
  wake(): void {
    this.#dirty = true;
    if (this.#pending) return;
    const delay = Math.max(COALESCE_MS, this.#cache.refreshedAt + this.#batchMs - Date.now());
    this.#pending = setTimeout(() => void this.#tick(), delay);
  }

  async #tick(): Promise<void> {
    try {
      if (this.#dirty && !this.#closed) await this.#refresh();
    } catch {
      // The readers read the catalog themselves and get its error.
    } finally {
      this.#pending = undefined;
      const wake = this.#wake;
      this.#renew();
      wake();
    }
  }

  #refresh(): Promise<void> {
    this.#dirty = false;
    return this.#cache.refresh();
  }

  /** Ends every wait (the server closes). */
  close(): void {
    this.#closed = true;
    this.#ingestor.off('state', this.#onState);
    this.wake();
  }

  /** Appends an event that is no transition (a release) and wakes readers. */
  async append(event: NewArchiveEvent): Promise<ArchiveEvent> {
    const stored = await eventLog(this.#ingestor.catalog).appendEvent(event);
    this.wake();
    return stored;
  }

  /**
   * A page of the log as the catalog would answer it: from the shared window when `after` is inside it (refreshed
   * first when a commit is not in it yet and the caller will not wait, or when other processes may have committed
   * since the last read, `pollMs`), else from the catalog.
   */
  async #page(filter: EventFilter, after: number, limit: number, fresh: boolean): Promise<EventPage> {
    if (!this.#cache.ready || (fresh && this.#dirty) || Date.now() - this.#cache.refreshedAt >= this.#pollMs) await this.#refresh();
    return this.#cache.page(filter, after, limit) ?? (await eventLog(this.#ingestor.catalog).events({ ...filter, after, limit }));
  }

  /**
   * Events after `after` that match `filter` and that `principal` may read, at most `limit`; waits up to `waitMs`
   * for the first. The cursor passes events the reader may not see, so the next read does not scan them again;
   * with `returnOnSkip` a read that passed some returns at once (so a subscriber's stored cursor follows).
   */
  async read(principal: Principal, filter: EventFilter, after: number, limit: number, waitMs: number, options: { returnOnSkip?: boolean } = {}): Promise<EventPage> {
    const deadline = Date.now() + waitMs;
    let cursor = after;
    for (;;) {
      const changed = this.#changed;
      const page = await this.#page(filter, cursor, limit, deadline <= Date.now());
      cursor = page.cursor;
      const shown: ArchiveEvent[] = [];
      for (const e of page.events) {
        const stored = { instrument: e.instrument, program: e.program, releaseDate: e.releaseDate, archiveId: e.archiveId };
        if (await mayReadStored(this.#ingestor.catalog, principal, stored, this.#now())) shown.push(e);
      }
      if (shown.length > 0 || (options.returnOnSkip && page.events.length > 0)) return { events: shown, cursor };
      if (page.events.length >= limit) continue; // a full page of events it may not see: read on
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) return { events: [], cursor };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed, new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, this.#pollMs))))]);
      clearTimeout(timer);
    }
  }
}

/**
 * The event of a held batch's release: its night, who released it, how many products; the instrument when they
 * share one (otherwise null: only unlimited tokens see it), the highest level among them.
 */
export function releasedEvent(site: string, night: string, released: readonly IngestStatus[], at: number): NewArchiveEvent {
  const instruments = new Set(released.map((p) => p.instrument));
  const [instrument] = instruments;
  return {
    kind: 'released',
    at,
    recordId: null,
    archiveId: null,
    instrument: instruments.size === 1 ? (instrument ?? null) : null,
    level: released.some((p) => p.level === 2) ? 2 : released.some((p) => p.level === 1) ? 1 : 0,
    night,
    program: null,
    imageType: null,
    object: null,
    releaseDate: null,
    parents: [...new Set(released.flatMap((p) => p.parents))],
    sha256: null,
    size: null,
    originalName: null,
    detail: { site, products: released.length, archived: released.filter((p) => p.state === 'ARCHIVED').length },
  };
}
