/**
 * Reading the whole archive index in archive-id order, a page at a time (`where archiveId > last`), so a scrub of
 * millions of files never holds them all and can resume after any archive id; with every stored version of each
 * (superseded ones keep their bytes where their locations say). Internal to src/scrub.
 *
 * @module
 */
import type { ArchivedFile, Catalog } from '../core/ports/catalog.js';

/** Archived files (current versions) with an archive id after `after`, in archive-id order. */
export async function* archivedAfter(catalog: Catalog, after: string, pageSize = 200): AsyncGenerator<ArchivedFile> {
  let last = after;
  for (;;) {
    const page = await catalog.findArchived({ ...(last !== '' ? { where: [{ column: 'archiveId', op: '>', value: last }] } : {}), limit: pageSize });
    for (const file of page) yield file;
    if (page.length < pageSize) return;
    last = page.at(-1)!.archiveId;
  }
}

/** The current file and the superseded versions under its archive id that still have copies. */
export async function versionsOf(catalog: Catalog, current: ArchivedFile): Promise<ArchivedFile[]> {
  if (!catalog.archivedVersions) return [current];
  const all = await catalog.archivedVersions(current.archiveId);
  return [current, ...all.filter((v) => v.recordId !== current.recordId && v.locations.length > 0)];
}
