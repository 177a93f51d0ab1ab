/**
 * Reading an archived file back on this machine: a local copy among its locations, and the file a reingest reads
 * (never the archived copy itself, so a new version is not written over the bytes it is made from).
 *
 * @module
 */
import { copyFile, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchivedFile } from '../core/ports/catalog.js';

/** A readable local copy of an archived file, if any. */
export async function localCopy(file: ArchivedFile): Promise<string | undefined> {
  for (const location of file.locations) {
    if (location.uri.startsWith('/') && (await stat(location.uri).then((s) => s.isFile(), () => false))) return location.uri;
  }
  return undefined;
}

/**
 * The file to read again for a reingest of an archived file: its original source when still readable, else a
 * temporary copy of the archived copy (so the new version is never written over the bytes it is made from).
 */
export async function reingestSource(file: ArchivedFile): Promise<string | undefined> {
  if (await stat(file.source).then((s) => s.isFile(), () => false)) return file.source;
  const archived = await localCopy(file);
  if (!archived) return undefined;
  const copy = join(await mkdtemp(join(tmpdir(), 'fits-reingest-')), file.originalName);
  await copyFile(archived, copy);
  return copy;
}
