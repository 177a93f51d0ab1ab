/**
 * The event log and webhook subscriptions in SQL, shared by the SQLite and PostgreSQL catalogs: rows ↔ objects
 * and the parameterized read of the log. The filter fields are columns (indexed by seq); the whole event is kept
 * as JSON. Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { eventOf } from '../../core/ports/archive-events-of.js';
import type { ArchiveEvent, EventQuery, NewArchiveEvent, Subscription } from '../../core/ports/archive-events.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import { limitOf } from './_checks.js';
import type { Dialect, Sql } from './_sql-query.js';

type Row = Record<string, unknown>;

/** Columns of the events table written on insert, in order (seq is made by the database). */
export const EVENT_COLUMNS = ['at', 'kind', 'record_id', 'archive_id', 'instrument', 'level', 'night', 'program', 'image_type', 'data'] as const;

/** The values of {@link EVENT_COLUMNS} for `event`. */
export function eventValues(event: NewArchiveEvent): unknown[] {
  return [event.at, event.kind, event.recordId, event.archiveId, event.instrument, event.level, event.night, event.program, event.imageType, JSON.stringify(event)];
}

/** An events row as an event. */
export function rowToEvent(row: Row): ArchiveEvent {
  return { seq: Number(row['seq']), ...(JSON.parse(row['data'] as string) as NewArchiveEvent) };
}

/** INSERT of one event returning its row; `$n` placeholders for PostgreSQL. */
export function insertEventSql(dialect: Dialect): string {
  const marks = EVENT_COLUMNS.map((_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?')).join(', ');
  return `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${marks}) RETURNING seq`;
}

/** The newest event's seq (0 for an empty log). */
export const LAST_EVENT_SQL = 'SELECT coalesce(max(seq), 0) AS last FROM events';

/** The events the transitions make (none for a transition that makes no event). */
export function eventsOf(...transitions: (readonly [FileRecord, HistoryEntry | undefined, ArchivedFile?])[]): NewArchiveEvent[] {
  return transitions.flatMap(([record, entry, file]) => {
    const event = entry && eventOf(record, entry, file);
    return event ? [event] : [];
  });
}

/** `?` placeholders as PostgreSQL's `$1, $2…`; unchanged for SQLite. */
function placeholders(sql: string, dialect: Dialect): string {
  let n = 0;
  return dialect === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
}

/** SELECT of the events after `query.after` that match its filter, oldest first. */
export function eventQuerySql(query: EventQuery, dialect: Dialect): Sql {
  const terms = ['seq > ?'];
  const params: unknown[] = [query.after ?? 0];
  if (query.kinds !== undefined) {
    terms.push(`kind IN (${query.kinds.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...query.kinds);
  }
  if (query.instrument !== undefined) terms.push('instrument = ?'), params.push(query.instrument);
  if (query.level !== undefined) terms.push('level = ?'), params.push(query.level);
  if (query.program !== undefined) terms.push('program = ?'), params.push(query.program);
  if (query.imageType !== undefined) terms.push('lower(image_type) = lower(?)'), params.push(query.imageType);
  params.push(limitOf(query.limit));
  return { sql: placeholders(`SELECT seq, data FROM events WHERE ${terms.join(' AND ')} ORDER BY seq LIMIT ?`, dialect), params };
}

/** The cursor after a read: the last event of a full page, else the log's newest event (never before `after`). */
export function cursorAfter(query: EventQuery, events: ArchiveEvent[], last: number): number {
  if (limitOf(query.limit) === 0) return query.after ?? 0;
  const full = events.length >= limitOf(query.limit);
  // A page that is not full read everything up to `last`, and perhaps events committed after `last` was read.
  return Math.max(query.after ?? 0, full ? events.at(-1)!.seq : Math.max(last, events.at(-1)?.seq ?? 0));
}

/** Columns of the subscriptions table, in order. */
export const SUBSCRIPTION_COLUMNS = ['id', 'site', 'token_sha256', 'url', 'secret', 'filter', 'cursor', 'created_at'] as const;

/** The values of {@link SUBSCRIPTION_COLUMNS} for `s`. */
export function subscriptionValues(s: Subscription): unknown[] {
  return [s.id, s.site, s.tokenSha256, s.url, s.secret, JSON.stringify(s.filter), s.cursor, s.createdAt];
}

/** A subscriptions row as a subscription. */
export function rowToSubscription(row: Row): Subscription {
  return {
    id: row['id'] as string,
    site: row['site'] as string,
    tokenSha256: (row['token_sha256'] as string | null) ?? null,
    url: row['url'] as string,
    secret: row['secret'] as string,
    filter: JSON.parse(row['filter'] as string) as Subscription['filter'],
    cursor: Number(row['cursor']),
    createdAt: Number(row['created_at']),
  };
}

/** The statements of the subscriptions table, in each dialect. */
export function subscriptionSql(dialect: Dialect) {
  return {
    insert: placeholders(`INSERT INTO subscriptions (${SUBSCRIPTION_COLUMNS.join(', ')}) VALUES (${SUBSCRIPTION_COLUMNS.map(() => '?').join(', ')})`, dialect),
    list: 'SELECT * FROM subscriptions ORDER BY created_at, id',
    remove: placeholders('DELETE FROM subscriptions WHERE id = ?', dialect),
    // The cursor never moves back (a late write of an older cursor keeps the newer one).
    advance: placeholders(`UPDATE subscriptions SET cursor = ${dialect === 'postgres' ? 'greatest' : 'max'}(cursor, ?) WHERE id = ?`, dialect),
  } as const;
}

/** CONFLICT for a subscription id that exists. */
export const subscriptionExists = (id: string): IngestError => new IngestError('CONFLICT', `subscription ${id} exists`, { context: { subscription: id } });

/** NOT_FOUND for a subscription id that does not exist. */
export const noSubscription = (id: string): IngestError => new IngestError('NOT_FOUND', `no subscription ${id}`, { context: { subscription: id } });
