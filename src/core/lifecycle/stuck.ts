/**
 * Stuck files: records in a non-final state that have not changed for a while (KOA's operators look at 15 minutes).
 * Used by `fits-ingest status --stuck` and the operator monitor.
 *
 * @module
 */
import type { Catalog } from '../ports/catalog.js';
import type { FileRecord } from './record.js';
import { isFinal, STATES } from './states.js';

/** Files in a non-final state (FAILED included) not changed for `olderThanMs` at `now`, oldest first. */
export async function stuckRecords(catalog: Catalog, now: number, olderThanMs: number): Promise<FileRecord[]> {
  const states = STATES.filter((s) => !isFinal(s));
  const records = await catalog.findRecords({ states, updatedBefore: now - olderThanMs, limit: 10_000 });
  return records.sort((a, b) => a.updatedAt - b.updatedAt);
}

