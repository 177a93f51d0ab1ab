/**
 * Takes back copies a record given up after its transfer started may have left at the destinations.
 */
import type { FileRecord } from '../lifecycle/record.js';
import type { StateName } from '../lifecycle/states.js';
import type { Catalog } from '../ports/catalog.js';
import type { Logger } from '../ports/logger.js';
import type { Transport } from '../ports/transport.js';

/** Final states whose record's placed copies are taken back; the others keep them (ARCHIVED, SUPERSEDED). */
export const TAKES_BACK: Readonly<Record<StateName, boolean>> = {
  DETECTED: false,
  STABLE: false,
  PREPARED: false,
  TRANSFERRING: false,
  TRANSFERRED: false,
  ARCHIVED: false,
  INVALID: true,
  FAILED: false,
  ABANDONED: true,
  DUPLICATE: true,
  SUPERSEDED: false,
};

/**
 * A record given up (ABANDONED, or INVALID at the commit) after its transfer started may have left copies the
 * catalog will never list (the catalog or the manifest could not be written after the bytes arrived, or another
 * record holds the archive id): transports that can take them back do (only copies this record placed).
 */
export async function discardPlaced(record: FileRecord, catalog: Catalog, transports: readonly Transport[], logger: Logger): Promise<void> {
  if (!record.archiveId || !record.sha256 || !record.night || !record.instrument) return;
  // The catalog is the truth: whatever it lists for this archive id stays, even if this record placed it (a
  // twin with identical bytes was archived from it).
  let keep: string[];
  try {
    const versions = catalog.archivedVersions ? await catalog.archivedVersions(record.archiveId) : [await catalog.getArchived(record.archiveId)];
    keep = versions.flatMap((f) => f?.locations.map((l) => l.uri) ?? []);
  } catch (error) {
    logger.warn('could not read the catalog; nothing taken back', { recordId: record.id, error: String(error) });
    return;
  }
  const target = { recordId: record.id, archiveId: record.archiveId, instrument: record.instrument, level: record.level, night: record.night, sha256: record.sha256, keep };
  for (const transport of transports) {
    await transport.discard?.(target).catch((error: unknown) => logger.warn('could not take back an abandoned copy', { recordId: record.id, transport: transport.name, error: String(error) }));
  }
}
