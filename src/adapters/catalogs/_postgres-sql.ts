/**
 * The fixed SQL of the PostgreSQL catalog (`$n` placeholders; the claim's `FOR UPDATE SKIP LOCKED`), written once
 * from the column lists the SQLite catalog also uses. Internal to src/adapters/catalogs.
 *
 * @module
 */
import { archivedColumnNames, recordColumnNames } from './_sql-rows.js';
import { ACTIVE_STATES_V1 } from './_sqlite-schema.js';

/** Placeholders `$1, $2, …` for `columns`. */
const named = (columns: readonly string[]): string => columns.map((_, i) => `$${i + 1}`).join(', ');
const ACTIVE = ACTIVE_STATES_V1.map((s) => `'${s}'`).join(', ');
/** Columns of records an update writes (all but the id). */
export const UPDATABLE = recordColumnNames.filter((c) => c !== 'id');
/** Columns of history, in insert order. */
export const HISTORY_COLUMNS = ['record_id', 'at', 'from_state', 'to_state', 'cause', 'actor', 'code', 'message'];
/** Statements by use. */
export const SQL = {
  insertRecord: `INSERT INTO records (${recordColumnNames.join(', ')}) VALUES (${named(recordColumnNames)})
    ON CONFLICT (source) WHERE state IN (${ACTIVE}) DO NOTHING RETURNING id`,
  importRecord: `INSERT INTO records (${recordColumnNames.join(', ')}) VALUES (${named(recordColumnNames)})`,
  updateRecord: `UPDATE records SET ${UPDATABLE.map((c, i) => `${c} = $${i + 2}`).join(', ')}
    WHERE id = $1 AND version = $${UPDATABLE.length + 2}`,
  activeBySource: `SELECT * FROM records WHERE source = $1 AND state IN (${ACTIVE})`,
  newestArchived: "SELECT * FROM records WHERE source = $1 AND state = 'ARCHIVED' ORDER BY created_at DESC, id DESC LIMIT 1",
  /**
   * Serializes guarded inserts of one source across hosts until the transaction ends (two-key form: a key space of
   * its own). Without it, a record of the source inserted and archived by another host between the guarded
   * insert's check and its INSERT would go unseen.
   */
  lockSource: 'SELECT pg_advisory_xact_lock(1718183, hashtext($1))',
  insertHistory: `INSERT INTO history (${HISTORY_COLUMNS.join(', ')}) VALUES (${named(HISTORY_COLUMNS)})`,
  claim: `UPDATE records SET lease_owner = $1, lease_until = $2 WHERE id IN (
      SELECT id FROM records
      WHERE state IN (${ACTIVE}) AND (state <> 'FAILED' OR next_attempt_at IS NULL OR next_attempt_at <= $3)
        AND (lease_owner IS NULL OR lease_until <= $3 OR lease_owner = $1)
      ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
    RETURNING *`,
  insertArchived: `INSERT INTO archived_files (${archivedColumnNames.join(', ')}) VALUES (${named(archivedColumnNames)})`,
  currentArchived: 'SELECT * FROM archived_files WHERE archive_id = $1 AND is_current = 1',
  lease: 'UPDATE records SET lease_owner = $1, lease_until = $2 WHERE id = $3',
  /** The lease of an existing record for $1 until $2, if it is free at $4 (or $1's already). */
  takeLease: 'UPDATE records SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND (lease_owner IS NULL OR lease_until <= $4 OR lease_owner = $1)',
  locations: 'SELECT uri, transport, verified_at AS "verifiedAt", medium FROM archived_locations WHERE record_id = $1 ORDER BY seq',
  upsertLocation: `INSERT INTO archived_locations (record_id, uri, transport, verified_at, medium) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (record_id, uri) DO UPDATE SET transport = excluded.transport, verified_at = excluded.verified_at, medium = excluded.medium`,
};
