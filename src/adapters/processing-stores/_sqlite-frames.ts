/**
 * The SQLite half of {@link RuleFrameStore}: tables `processing_frames` and `processing_nights` (migration 3 of the
 * processing store). Internal.
 *
 * @module
 */
import type { RuleFrameStore } from '../../core/ports/processing-store.js';
import type { NightRecord, RuleFrame } from '../../core/processing/quicklook.js';
import type { Db } from '../_shared/sqlite-driver.js';

/** Migration 3: quick-look frames and nights. */
export const RULE_FRAMES_MIGRATION = `
  CREATE TABLE processing_frames (archive_id TEXT NOT NULL, rule TEXT NOT NULL, instrument TEXT NOT NULL, night TEXT NOT NULL, state TEXT NOT NULL, archived_at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (archive_id, rule));
  CREATE INDEX processing_frames_state ON processing_frames (state, archived_at);
  CREATE INDEX processing_frames_night ON processing_frames (instrument, night);
  CREATE TABLE processing_nights (instrument TEXT NOT NULL, night TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (instrument, night));`;

/** Frame and night methods over the store's `run` (which opens the database and maps SQLite errors). */
export function sqliteRuleFrames(run: <T>(fn: (db: Db) => T) => T): RuleFrameStore {
  const rows = <T>(sql: string, ...params: unknown[]): T[] => run((d) => (d.prepare(sql).all(...params) as { body: string }[]).map((r) => JSON.parse(r.body) as T));
  return {
    async addFrame(frame) {
      return run((d) => d.prepare('INSERT OR IGNORE INTO processing_frames (archive_id, rule, instrument, night, state, archived_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(frame.archiveId, frame.rule, frame.instrument, frame.night, frame.state, frame.archivedAt, JSON.stringify(frame)).changes === 1);
    },
    async putFrame(frame) {
      run((d) => d.prepare('INSERT OR REPLACE INTO processing_frames (archive_id, rule, instrument, night, state, archived_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(frame.archiveId, frame.rule, frame.instrument, frame.night, frame.state, frame.archivedAt, JSON.stringify(frame)));
    },
    async findFrames(filter = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.instrument !== undefined) where.push('instrument = ?') && params.push(filter.instrument);
      if (filter.night !== undefined) where.push('night = ?') && params.push(filter.night);
      if (filter.states) where.push(`state IN (${filter.states.map(() => '?').join(', ') || 'NULL'})`) && params.push(...filter.states);
      return rows<RuleFrame>(`SELECT body FROM processing_frames ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY archived_at, archive_id, rule LIMIT ?`, ...params, filter.limit ?? 100_000);
    },
    getNight: async (instrument, night) => rows<NightRecord>('SELECT body FROM processing_nights WHERE instrument = ? AND night = ?', instrument, night)[0],
    async putNight(night) {
      run((d) => d.prepare('INSERT OR REPLACE INTO processing_nights (instrument, night, state, body) VALUES (?, ?, ?, ?)').run(night.instrument, night.night, night.state, JSON.stringify(night)));
    },
    async listNights(filter = {}) {
      return filter.instrument === undefined
        ? rows<NightRecord>('SELECT body FROM processing_nights ORDER BY night DESC, instrument')
        : rows<NightRecord>('SELECT body FROM processing_nights WHERE instrument = ? ORDER BY night DESC', filter.instrument);
    },
  };
}
