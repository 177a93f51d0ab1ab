/**
 * The PostgreSQL catalog's event log and subscriptions. Several hosts commit at once, so an identity column alone
 * would not be in commit order (a reader could see event n+1 while n is still uncommitted, move its cursor past n
 * and never see it): a transaction takes the advisory lock {@link EVENTS_LOCK} just before it inserts its events
 * and holds it until it commits, as the last statements of the transaction. Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { eventOf } from '../../core/ports/archive-events-of.js';
import type { ArchiveEvent, EventPage, EventQuery, NewArchiveEvent, Subscription } from '../../core/ports/archive-events.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import {
  cursorAfter,
  eventQuerySql,
  eventValues,
  insertEventSql,
  LAST_EVENT_SQL,
  rowToEvent,
  rowToSubscription,
  SUBSCRIPTION_COLUMNS,
  subscriptionValues,
} from './_events-sql.js';
import { violatesUnique, type Client } from './_postgres-driver.js';
import { EVENTS_LOCK } from './_postgres-schema.js';

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

/** The events the transitions make, for {@link appendEvents}. */
export function eventsOf(...transitions: (readonly [FileRecord, HistoryEntry | undefined, ArchivedFile?])[]): NewArchiveEvent[] {
  return transitions.flatMap(([record, entry, file]) => {
    const event = entry && eventOf(record, entry, file);
    return event ? [event] : [];
  });
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
    await c.query(`INSERT INTO subscriptions (${SUBSCRIPTION_COLUMNS.join(', ')}) VALUES (${SUBSCRIPTION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, subscriptionValues(s));
  } catch (error) {
    if (violatesUnique(error, 'subscriptions_pkey')) throw new IngestError('CONFLICT', `subscription ${s.id} exists`, { context: { subscription: s.id } });
    throw error;
  }
}

export async function listSubscriptions(c: Client): Promise<Subscription[]> {
  return ((await c.query('SELECT * FROM subscriptions ORDER BY created_at, id')).rows as Row[]).map(rowToSubscription);
}

export async function removeSubscription(c: Client, id: string): Promise<boolean> {
  return ((await c.query('DELETE FROM subscriptions WHERE id = $1', [id])).rowCount ?? 0) > 0;
}

export async function advanceSubscription(c: Client, id: string, cursor: number): Promise<void> {
  const { rowCount } = await c.query('UPDATE subscriptions SET cursor = greatest(cursor, $1) WHERE id = $2', [cursor, id]);
  if (!rowCount) throw new IngestError('NOT_FOUND', `no subscription ${id}`, { context: { subscription: id } });
}
