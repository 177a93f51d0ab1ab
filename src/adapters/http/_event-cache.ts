/**
 * The newest events of the log, shared by every reader of a server: one catalog read per batch of commits, however
 * many subscribers wait, instead of one per subscriber. It holds a contiguous window of the log — every event
 * with `base < seq <= through` — so a reader whose cursor is inside the window is answered from memory with the
 * same page and cursor the catalog would give; a reader further behind reads the catalog. Internal to
 * src/adapters/http.
 *
 * @module
 */
import { matchesEvent } from '../../core/ports/archive-events-of.js';
import type { ArchiveEvent, EventFilter, EventPage, EventQuery } from '../../core/ports/archive-events.js';

/** Events kept in memory (older ones are read from the catalog). */
const WINDOW = 10_000;
/** Events read from the catalog per statement while refreshing. */
const READ_LIMIT = 1000;

/** A window of the log over a reader of it. */
export class EventCache {
  readonly #read: (query: EventQuery) => Promise<EventPage>;
  #events: ArchiveEvent[] = [];
  /** Every event after `base` up to `through` is in `#events`; -1: nothing read yet. */
  #base = -1;
  #through = 0;
  #refreshing: Promise<void> | undefined;
  #again = false;
  /** When the last refresh began (epoch ms). */
  refreshedAt = 0;
  /** Catalog reads made (tests and the bench count them). */
  reads = 0;

  constructor(read: (query: EventQuery) => Promise<EventPage>) {
    this.#read = read;
  }

  /**
   * Reads the events committed since the last refresh. Concurrent calls share one read; a call made while a read
   * runs gets another read after it (that read may have begun before the caller's commit).
   */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = this.#run().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      this.refreshedAt = Date.now();
      if (this.#base < 0) {
        // Start at the newest event: older ones are for the catalog.
        this.reads++;
        const start = (await this.#read({ after: 0, kinds: [], limit: 1 })).cursor;
        if (this.#base < 0) this.#base = this.#through = start;
      }
      for (;;) {
        this.reads++;
        const page = await this.#read({ after: this.#through, limit: READ_LIMIT });
        this.#events.push(...page.events.filter((e) => e.seq > this.#through));
        this.#through = Math.max(this.#through, page.cursor);
        if (page.events.length < READ_LIMIT) break;
      }
      if (this.#events.length > WINDOW) {
        const dropped = this.#events.splice(0, this.#events.length - WINDOW);
        this.#base = dropped.at(-1)!.seq;
      }
    } while (this.#again);
  }

  /** True once a refresh has run (the window exists). */
  get ready(): boolean {
    return this.#base >= 0;
  }

  /**
   * The page the catalog would answer for `filter` after `after` (at most `limit` events), from memory; undefined
   * when `after` is before the window (the caller reads the catalog).
   */
  page(filter: EventFilter, after: number, limit: number): EventPage | undefined {
    if (this.#base < 0 || after < this.#base) return undefined;
    const events: ArchiveEvent[] = [];
    for (let i = this.#firstAfter(after); i < this.#events.length; i++) {
      const e = this.#events[i]!;
      if (!matchesEvent(e, filter)) continue;
      events.push(e);
      if (events.length >= limit) return { events, cursor: e.seq };
    }
    return { events, cursor: Math.max(after, this.#through) };
  }

  /** Index of the first event with seq > `after` (binary search: seqs increase). */
  #firstAfter(after: number): number {
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#events[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
