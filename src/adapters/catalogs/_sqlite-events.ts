/**
 * The SQLite catalog's event log and subscriptions: synchronous statements run inside the catalog's transactions
 * (an event is written in the same IMMEDIATE transaction as the transition that makes it; SQLite writers are
 * serialized, so seq order is commit order). Internal to src/adapters/catalogs.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import type { ArchiveEvent, EventPage, EventQuery, NewArchiveEvent, Subscription } from '../../core/ports/archive-events.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import {
  cursorAfter,
  eventQuerySql,
  eventsOf,
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
import { violatesUnique } from '../_shared/sqlite-driver.js';

const SQL = subscriptionSql('sqlite');
type Row = Record<string, unknown>;
type Stmt = (sql: string) => BetterSqlite3.Statement;

/** Event and subscription statements over the catalog's prepared-statement cache. */
export function sqliteEvents(stmt: Stmt) {
  const append = (event: NewArchiveEvent): ArchiveEvent => {
    const { seq } = stmt(insertEventSql('sqlite')).get(...eventValues(event)) as { seq: number };
    return { seq, ...event };
  };
  return {
    append,
    /** Writes the event of a transition, if it makes one (call inside the transition's transaction). */
    record(record: FileRecord, entry: HistoryEntry | undefined, file?: ArchivedFile): void {
      for (const event of eventsOf([record, entry, file])) append(event);
    },
    /** Call inside a snapshot so the page and the newest seq agree. */
    read(query: EventQuery): EventPage {
      const { sql, params } = eventQuerySql(query, 'sqlite');
      const events = (stmt(sql).all(...params) as Row[]).map(rowToEvent);
      const { last } = stmt(LAST_EVENT_SQL).get() as { last: number };
      return { events, cursor: cursorAfter(query, events, last) };
    },
    addSubscription(s: Subscription): void {
      try {
        stmt(SQL.insert).run(...subscriptionValues(s));
      } catch (error) {
        if (violatesUnique(error, 'subscriptions.id')) throw subscriptionExists(s.id);
        throw error;
      }
    },
    subscriptions(): Subscription[] {
      return (stmt(SQL.list).all() as Row[]).map(rowToSubscription);
    },
    remove(id: string): boolean {
      return stmt(SQL.remove).run(id).changes > 0;
    },
    advance(id: string, cursor: number): void {
      if (stmt(SQL.advance).run(cursor, id).changes === 0) throw noSubscription(id);
    },
  };
}
