/**
 * The PostgreSQL catalog's event log and subscriptions. Several hosts commit at once, so an identity column alone
 * would not be in commit order (a reader could see event n+1 while n is still uncommitted, move its cursor past n
 * and never see it): a transaction takes the advisory lock {@link EVENTS_LOCK} just before it inserts its events
 * and holds it until it commits, as the last statements of the transaction. Internal to src/adapters/catalogs.
 *
 * @module
 */
import type { ArchiveEvent, EventPage, EventQuery, NewArchiveEvent, Subscription } from '../../core/ports/archive-events.js';
import {
  cursorAfter,
  eventQuerySql,
  eventValues,
  insertEventSql,
  LAST_EVENT_SQL,
  noSubscription,
  rowToEvent,
  rowToSubscription,
  subscriptionExists,
  subscriptionSql,
  subscriptionValues,
} from './_events-sql.js';
import { violatesUnique, type Client } from './_postgres-driver.js';
import { EVENTS_LOCK } from './_postgres-schema.js';

export { eventsOf } from './_events-sql.js';

const SQL = subscriptionSql('postgres');
type Row = Record<string, unknown>;

/** Appends events in commit order (call last in the transaction: the lock is held until COMMIT). */
export async function appendEvents(c: Client, events: readonly NewArchiveEvent[]): Promise<ArchiveEvent[]> {
  if (events.length === 0) return [];
  await c.query('SELECT pg_advisory_xact_lock($1)', [EVENTS_LOCK.toString()]);
  const out: ArchiveEvent[] = [];
  for (const event of events) {
    const { rows } = await c.query<{ seq: number }>(insertEventSql('postgres'), eventValues(event));
    out.push({ seq: Number(rows[0]!.seq), ...event });
  }
  return out;
}

/** A page of the log (run in a repeatable-read snapshot, so the page and the newest seq agree). */
export async function readEvents(c: Client, query: EventQuery): Promise<EventPage> {
  const { sql, params } = eventQuerySql(query, 'postgres');
  // The last seq first, the page second: each statement has its own snapshot, and an event committed between the two
  // must land in the page (it is read later), never only in the cursor (it would be skipped for good). Seqs follow
  // commit order (EVENTS_LOCK), so the page sees every event up to `last`.
  const last = Number(((await c.query(LAST_EVENT_SQL)).rows as Row[])[0]!['last']);
  const events = ((await c.query(sql, params)).rows as Row[]).map(rowToEvent);
  return { events, cursor: cursorAfter(query, events, last) };
}

export async function addSubscription(c: Client, s: Subscription): Promise<void> {
  try {
    await c.query(SQL.insert, subscriptionValues(s));
  } catch (error) {
    if (violatesUnique(error, 'subscriptions_pkey')) throw subscriptionExists(s.id);
    throw error;
  }
}

export async function listSubscriptions(c: Client): Promise<Subscription[]> {
  return ((await c.query(SQL.list)).rows as Row[]).map(rowToSubscription);
}

export async function removeSubscription(c: Client, id: string): Promise<boolean> {
  return ((await c.query(SQL.remove, [id])).rowCount ?? 0) > 0;
}

export async function advanceSubscription(c: Client, id: string, cursor: number): Promise<void> {
  const { rowCount } = await c.query(SQL.advance, [cursor, id]);
  if (!rowCount) throw noSubscription(id);
}
