/**
 * Archived files as media items: the member name (`INSTRUMENT/NIGHT/<file name>`), the first local copy to read,
 * the expected size, SHA-256 and HDU sums, and the catalog fields the volume index keeps so that `media index`
 * can restore the file into a catalog that lost it.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import type { ArchivedFile } from '../../../core/ports/catalog.js';
import type { MediaItem } from './write-volumes.js';

/** True when a copy of the file is already on media (a location with a `medium`). */
export const isOnMedia = (file: ArchivedFile): boolean => file.locations.some((l) => l.medium !== undefined);

/** The media item of an archived file, read from its first local copy; undefined when no local copy exists. */
export function archivedItem(file: ArchivedFile): MediaItem | undefined {
  const local = file.locations.find((l) => l.medium === undefined && isAbsolute(l.uri) && existsSync(l.uri));
  if (!local) return undefined;
  const { instrument, level, parents, night, originalName, source, sourceSha256, program, dateObs, imageType, releaseDate, archivedAt } = file;
  return {
    member: `${instrument}/${night}/${basename(local.uri)}`,
    path: local.uri,
    size: file.size,
    sha256: file.sha256,
    archiveId: file.archiveId,
    hdus: file.hdus,
    file: { instrument, level, parents, night, originalName, source, sourceSha256, program, dateObs, imageType, releaseDate, archivedAt },
  };
}
