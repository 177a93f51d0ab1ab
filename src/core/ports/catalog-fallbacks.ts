/**
 * The core's side of the Catalog port's optional methods: each call goes through here, which uses the catalog's
 * method when it has one and otherwise falls back (letting a lease run out) or
 * throws a typed UNSUPPORTED_OPERATION naming the catalog and the operation.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { FileRecord, HistoryEntry } from '../lifecycle/record.js';
import type { ArchivedFile, Catalog, FileLocation, OptionalCatalogMethod } from './catalog.js';

function unsupported(catalog: Catalog, method: OptionalCatalogMethod, what: string): IngestError {
  return new IngestError('UNSUPPORTED_OPERATION', `the ${catalog.name} catalog cannot ${what} (it has no ${method} method)`, {
    context: { operation: method },
  });
}

/** Ends a lease; without `release` the lease runs out by itself and the record is claimable again then. */
export async function releaseLease(catalog: Catalog, recordId: string, owner: string): Promise<void> {
  await catalog.release?.(recordId, owner);
}

/** Records another verified copy. @throws IngestError UNSUPPORTED_OPERATION without `addLocation`. */
export async function addLocationTo(catalog: Catalog, archiveId: string, location: FileLocation): Promise<void> {
  if (!catalog.addLocation) throw unsupported(catalog, 'addLocation', 'record another copy of an archived file');
  return catalog.addLocation(archiveId, location);
}

/** Stores an archived file the catalog never ingested. @throws IngestError UNSUPPORTED_OPERATION without `importArchived`. */
export async function importArchivedInto(catalog: Catalog, record: FileRecord, entry: HistoryEntry, file: ArchivedFile): Promise<void> {
  if (!catalog.importArchived) throw unsupported(catalog, 'importArchived', 'import archived files (e.g. rebuilt from media volumes)');
  return catalog.importArchived(record, entry, file);
}
