/**
 * Rebuilding a corrupt or missing copy from a good one, never destroying bytes: a whole-file copy is written to a
 * temp name beside it, verified on the way (the source is hashed and FITS-walked as it is read), flushed, and
 * renamed into place; the corrupt file is first renamed to `<name>.corrupt-<time>`. A corrupt media member is
 * first saved aside (`<volume>.corrupt-<time>.member<N>`, its bytes only), then overwritten in place at its
 * offset, so the volume is again byte-identical to its other copies. The caller reads the repaired copy back.
 * Internal to src/scrub.
 *
 * @module
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IngestError, toIngestError } from '../core/errors.js';
import { fileSink, pump } from '../io/byte-pump.js';
import { syncDirectory, withFileForReading, writeAll, type PositionedWriter } from '../io/durable-fs.js';
import { firstDifference, readAndVerify } from '../io/read-verify.js';
import type { CopyRef } from './_copies.js';

/** A file-name-safe UTC stamp, e.g. `20261203T142800Z`. */
export const stampOf = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** Streams the good copy into `writer` at `at` (paced by `gate`), failing if the good copy no longer verifies. */
async function copyFrom(source: CopyRef, writer: PositionedWriter, at: number, gate: (chunk: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const { file } = source;
  const start = source.kind === 'member' ? source.location.medium!.offset : 0;
  let position = at;
  const read = await withFileForReading(source.path, (handle) =>
    readAndVerify(handle, {
      name: source.location.uri,
      start,
      length: file.size,
      toEnd: source.kind === 'file',
      sink: async (chunk) => {
        await gate(chunk);
        await writeAll(writer, chunk, position, source.path);
        position += chunk.length;
      },
      ...(signal ? { signal } : {}),
    }),
  );
  const difference = firstDifference(file.size, read, { size: file.size, sha256: file.sha256, hdus: file.hdus, from: 'catalog' });
  if (difference) {
    throw new IngestError('DIGEST_MISMATCH', `the good copy ${source.location.uri} no longer verifies while repairing from it: ${difference.detail}`, {
      context: { file: source.path, archiveId: file.archiveId, offset: start + difference.offset },
      hint: 'run the scrub again: it re-verifies every copy before choosing a source',
    });
  }
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * Rebuilds `target` from `source` (a copy verified good in this pass). Resolves to the path where the bad bytes
 * were kept aside (none for a missing copy).
 */
export async function repairCopy(target: CopyRef, source: CopyRef, now: number, gate: (chunk: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<string | undefined> {
  const stamp = stampOf(now);
  try {
    return target.kind === 'file' ? await repairFile(target, source, stamp, gate, signal) : await repairMember(target, source, stamp, gate, signal);
  } catch (error) {
    throw toIngestError(error, { file: target.path, archiveId: target.file.archiveId });
  }
}

async function repairFile(target: CopyRef, source: CopyRef, stamp: string, gate: (chunk: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<string | undefined> {
  const dir = dirname(target.path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(target.path)}.repair.tmp`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await copyFrom(source, handle, 0, gate, signal);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  let aside: string | undefined;
  if (await exists(target.path)) {
    aside = `${target.path}.corrupt-${stamp}`;
    await rename(target.path, aside);
  }
  await rename(temp, target.path);
  await syncDirectory(dir);
  return aside;
}

async function repairMember(target: CopyRef, source: CopyRef, stamp: string, gate: (chunk: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<string> {
  const { medium } = target.location;
  if (!(await exists(target.path))) {
    throw new IngestError('FILE_NOT_FOUND', `the volume ${target.path} is gone: a member cannot be rebuilt without its volume`, {
      context: { file: target.path, archiveId: target.file.archiveId },
      hint: 'copy the volume from its other copy (media verify it first), or write the files again with fits-ingest media write --again',
    });
  }
  const aside = `${target.path}.corrupt-${stamp}.member${medium!.member}`;
  const volume = await open(target.path, 'r+');
  try {
    const saved = await open(aside, 'wx', 0o444);
    try {
      const { size } = await volume.stat();
      const length = Math.min(target.file.size, Math.max(0, size - medium!.offset));
      await pump(volume, { file: target.path, start: medium!.offset, length, sinks: [fileSink(saved, 0, aside)] });
      await saved.sync();
    } finally {
      await saved.close();
    }
    await copyFrom(source, volume, medium!.offset, gate, signal);
    await volume.sync();
  } finally {
    await volume.close();
  }
  await syncDirectory(dirname(target.path));
  return aside;
}
