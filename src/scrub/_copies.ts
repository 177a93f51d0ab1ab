/**
 * The copies of an archived file the scrub can read on this machine, and the one read that verifies a copy: a
 * whole file (an archive copy, another transport's copy on a mounted disk) or one member of a media volume (at
 * the offset the catalog records), hashed and walked as FITS through the byte pump, every chunk paced by the
 * scrub's gate. Internal to src/scrub.
 *
 * @module
 */
import { isAbsolute } from 'node:path';
import { isIngestError, toIngestError } from '../core/errors.js';
import type { ArchivedFile, FileLocation } from '../core/ports/catalog.js';
import { withFileForReading } from '../io/durable-fs.js';
import { firstDifference, readAndVerify, type CopyRead } from '../io/read-verify.js';

/** A copy of an archived file as the scrub sees it. */
export interface CopyRef {
  file: ArchivedFile;
  location: FileLocation;
  /** `file`: a whole file at `path`; `member`: bytes of the volume file `path` at `location.medium.offset`. */
  kind: 'file' | 'member';
  path: string;
  /** The member name inside the volume (`member` copies). */
  member?: string;
}

/** The copies of `file` that are readable paths here; the others (URLs of remote archives) are returned apart. */
export function copiesOf(file: ArchivedFile): { local: CopyRef[]; remote: FileLocation[] } {
  const local: CopyRef[] = [];
  const remote: FileLocation[] = [];
  for (const location of file.locations) {
    const hash = location.uri.indexOf('#');
    if (location.medium && hash > 0 && isAbsolute(location.uri.slice(0, hash))) {
      local.push({ file, location, kind: 'member', path: location.uri.slice(0, hash), member: location.uri.slice(hash + 1) });
    } else if (isAbsolute(location.uri) && !location.medium) {
      local.push({ file, location, kind: 'file', path: location.uri });
    } else remote.push(location);
  }
  return { local, remote };
}

/** What reading a copy found. */
export interface CopyVerdict {
  status: 'ok' | 'corrupt' | 'missing';
  /** Why it is not ok. */
  detail?: string;
  /** Byte offset of the problem in the file read (the volume file for members). */
  offset?: number;
  hdu?: number;
  /** Bytes read. */
  bytes: number;
}

/** Reads a copy once and compares it with the catalog: size, SHA-256, every HDU's DATASUM and CHECKSUM. */
export async function verifyCopy(copy: CopyRef, gate: (chunk: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<CopyVerdict> {
  const { file } = copy;
  const expected = { size: file.size, sha256: file.sha256, hdus: file.hdus, from: 'catalog' };
  const start = copy.kind === 'member' ? copy.location.medium!.offset : 0;
  try {
    return await withFileForReading(copy.path, async (handle, size) => {
      const length = copy.kind === 'member' ? Math.min(file.size, Math.max(0, size - start)) : size;
      const read: CopyRead = await readAndVerify(handle, { name: copy.location.uri, start, length, toEnd: copy.kind === 'file', sink: gate, ...(signal ? { signal } : {}) });
      const difference = firstDifference(length, read, expected);
      if (!difference) return { status: 'ok', bytes: length };
      return { status: 'corrupt', detail: difference.detail, offset: start + difference.offset, ...(difference.hdu !== undefined ? { hdu: difference.hdu } : {}), bytes: length };
    });
  } catch (error) {
    const wrapped = toIngestError(error, { file: copy.path });
    if (isIngestError(wrapped, 'FILE_NOT_FOUND')) return { status: 'missing', detail: copy.kind === 'member' ? `the volume ${copy.path} is not there` : 'the file is not there', bytes: 0 };
    if (isIngestError(wrapped, 'ABORTED', 'NO_SPACE')) throw wrapped;
    // Unreadable (an I/O error, a file that changed while read) is not a verified copy.
    return { status: 'corrupt', detail: `unreadable: ${wrapped.detail} [${wrapped.code}]`, ...(wrapped.context.offset !== undefined ? { offset: wrapped.context.offset } : {}), bytes: 0 };
  }
}
