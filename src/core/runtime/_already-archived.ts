/**
 * Reruns without a DUPLICATE pile-up: a file announced again at the path it was archived from, with the bytes it
 * was archived with, is that ARCHIVED record — not a new one that would end DUPLICATE. `ingest` reruns and `watch`
 * restarts (which announce every file already in the folder) both go through it. The check and the insert of a new
 * record are one atomic catalog step (the insert's guard), so another host archiving the file in between is seen
 * too. Internal to the runtime.
 *
 * @module
 */
import type { FileRecord, HistoryEntry } from '../lifecycle/record.js';
import type { Catalog } from '../ports/catalog.js';
import type { FileAccess } from '../ports/files.js';

/** Guarded inserts retried at most this often (each retry means yet another host archived the source meanwhile). */
const MAX_GUARDED_TRIES = 5;

/**
 * True when the file at `path` still has the SHA-256 `record` was archived with; false when the record has no
 * source hash, the bytes differ, or the file cannot be read now (the engine's own steps then say why).
 */
async function sameBytes(files: FileAccess, path: string, record: FileRecord): Promise<boolean> {
  if (!record.sourceSha256) return false;
  const hash = files.sha256();
  try {
    for await (const chunk of files.read(path)) hash.update(chunk);
  } catch {
    return false;
  }
  return hash.digest() === record.sourceSha256;
}

/** What {@link insertUnlessArchived} did. */
export type GuardedInsert = Awaited<ReturnType<Catalog['insertRecord']>> & { alreadyArchived?: boolean };

/**
 * Inserts `record` unless the file at its source is already archived with the same bytes (then that ARCHIVED
 * record comes back with `alreadyArchived`). Reads the file only when something was archived from that path.
 */
export async function insertUnlessArchived(
  catalog: Catalog,
  files: FileAccess,
  record: FileRecord,
  entry: HistoryEntry,
  lease: { owner: string; until: number },
): Promise<GuardedInsert> {
  const path = record.source;
  let [seen] = await catalog.findRecords({ source: path, states: ['ARCHIVED'], limit: 1, newestFirst: true });
  for (let tries = 0; ; tries++) {
    if (seen && (await sameBytes(files, path, seen))) return { inserted: false, record: seen, alreadyArchived: true };
    const guard = tries < MAX_GUARDED_TRIES ? { lastArchived: seen?.id ?? null } : undefined;
    const result = await catalog.insertRecord(record, entry, lease, guard);
    if (!result.archived) return result;
    seen = result.archived; // archived by someone else since we looked: compare its bytes and ask again
  }
}
