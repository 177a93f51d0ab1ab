/**
 * Reading archived copies for a package: find a location whose bytes hash to the cataloged SHA-256 (copying it
 * on the way when asked), and copy byte ranges. Internal to src/distribute.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IngestError } from '../core/errors.js';
import { fileSink, pump } from '../io/byte-pump.js';
import type { ArchivedFile } from '../core/ports/catalog.js';

/** Local paths of an archived file's copies (media copies, `VOLUME#member`, are not read here). */
function localPaths(file: ArchivedFile): string[] {
  return file.locations
    .map((l) => (l.uri.startsWith('file:') ? fileURLToPath(l.uri) : l.uri))
    .filter((p) => isAbsolute(p) && !p.includes('#'));
}

/**
 * Streams `path` (or a byte range) through SHA-256 with the byte pump, into `to` when given; resolves to the digest
 * and size. A file that shrinks or grows while it is read (or a range past its end) is SOURCE_CHANGED.
 */
export async function hashCopy(path: string, to?: string, range?: { start: number; end: number }): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const input = await open(path, 'r');
  let out: FileHandle | undefined;
  try {
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start : (await input.stat()).size;
    if (to) {
      await mkdir(dirname(to), { recursive: true });
      out = await open(to, 'w');
    }
    const { bytes } = await pump(input, { file: path, start, length, toEnd: !range, observers: [hash], sinks: out && to ? [fileSink(out, 0, to)] : [] });
    await out?.close();
    out = undefined;
    return { sha256: hash.digest('hex'), size: bytes };
  } finally {
    await out?.close().catch(() => {});
    await input.close();
  }
}

/**
 * The first local copy of `file` whose bytes match the catalog, copied to `to` when given (through a temporary
 * name, removed when the bytes do not match). Throws ARCHIVED_COPY_MISSING naming every location tried.
 */
export async function verifiedCopy(file: ArchivedFile, to?: string): Promise<string> {
  const tried: string[] = [];
  for (const path of localPaths(file)) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      tried.push(`${path}: not found`);
      continue;
    }
    const temp = to && `${to}.partial`;
    try {
      const { sha256, size } = await hashCopy(path, temp);
      if (sha256 === file.sha256 && size === file.size) {
        if (to && temp) await rename(temp, to);
        return path;
      }
      tried.push(`${path}: ${size} bytes with SHA-256 ${sha256}, the catalog says ${file.size} bytes with ${file.sha256}`);
    } catch (error) {
      tried.push(`${path}: ${(error as Error).message}`);
    }
    if (temp) await rm(temp, { force: true });
  }
  throw new IngestError('ARCHIVED_COPY_MISSING', tried.length ? tried.join('; ') : 'the catalog lists no local copy', {
    context: { file: file.archiveId },
  });
}
