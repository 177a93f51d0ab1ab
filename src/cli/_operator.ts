/** What the operator commands (`requeue`, `reingest`, `history`) share: who acts, and finding a record by id. */
import { userInfo } from 'node:os';
import { IngestError } from '../core/errors.js';
import type { FileRecord } from '../core/lifecycle/record.js';
import type { Catalog } from '../core/ports/catalog.js';

/** `operator:<name>`: `--actor`, else the login name running the command. */
export function operatorActor(actor: string | undefined): string {
  if (actor !== undefined && actor !== '') return actor.startsWith('operator:') ? actor : `operator:${actor}`;
  let name = process.env['USER'] ?? '';
  try {
    name ||= userInfo().username;
  } catch {
    name ||= 'unknown';
  }
  return `operator:${name}`;
}

const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The records an id names: a record id names one; an archive id names every record that archived (or tried to
 * archive) under it, newest first.
 *
 * @throws IngestError NOT_FOUND naming the id
 */
export async function recordsOf(catalog: Catalog, id: string): Promise<FileRecord[]> {
  if (RECORD_ID.test(id)) {
    const record = await catalog.getRecord(id);
    if (record) return [record];
  }
  const records = await catalog.findRecords({ archiveId: id, newestFirst: true, limit: 1000 });
  if (records.length === 0) {
    throw new IngestError('NOT_FOUND', `the catalog has no record ${id} and no file under that archive id`, {
      context: { archiveId: id },
      hint: 'give a record id (from --json output or `fits-ingest status`) or an archive id',
    });
  }
  return records;
}
