/**
 * Reruns without a DUPLICATE pile-up: a file announced again at the path it was archived from, with the bytes it
 * was archived with, is that ARCHIVED record — not a new one that would end DUPLICATE. `ingest` reruns and `watch`
 * restarts (which announce every file already in the folder) both go through it. Internal to the runtime.
 *
 * @module
 */
import type { FileRecord } from '../lifecycle/record.js';
import type { Catalog } from '../ports/catalog.js';
import type { FileAccess } from '../ports/files.js';

/**
 * The ARCHIVED record of `path` when the file there still has the SHA-256 it was archived with; undefined when
 * nothing was archived from that path (no read at all), when the bytes differ, or when the file cannot be read
 * now (the engine's own steps then say why).
 */
export async function archivedFromSource(catalog: Catalog, files: FileAccess, path: string): Promise<FileRecord | undefined> {
  const [record] = await catalog.findRecords({ source: path, states: ['ARCHIVED'], limit: 1, newestFirst: true });
  if (!record?.sourceSha256) return undefined;
  const hash = files.sha256();
  try {
    for await (const chunk of files.read(path)) hash.update(chunk);
  } catch {
    return undefined;
  }
  return hash.digest() === record.sourceSha256 ? record : undefined;
}
