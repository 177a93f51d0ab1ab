/**
 * Plumbing of the FOREIGN file functions: copying a byte range between files while summing it, owner and group
 * names, and putting a finished temporary file in place without clobbering. Internal to src/io.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IngestError } from '../core/errors.js';
import { ChecksumAccumulator } from '../core/checksum/ones-complement.js';
import { syncDirectory } from './durable-fs.js';
import { fileSink, pump } from './byte-pump.js';

/** What a {@link copyRange} saw: the ones' complement sum and SHA-256 of the bytes copied. */
export interface CopiedRange {
  bytes: number;
  datasum: number;
  sha256: string;
}

/**
 * Copies `length` bytes of `from` (starting at `start`) to `to` at `writeAt`, through the byte pump (constant
 * memory, reads ahead while a chunk is summed and written). Throws SOURCE_CHANGED when the source ends early.
 */
export async function copyRange(from: FileHandle, start: number, length: number, to: FileHandle, writeAt: number, file: string): Promise<CopiedRange> {
  const sum = new ChecksumAccumulator();
  const hash = createHash('sha256');
  const { bytes } = await pump(from, { file, start, length, observers: [sum, hash], sinks: [fileSink(to, writeAt)] });
  return { bytes, datasum: sum.digest(), sha256: hash.digest('hex') };
}

/** A temporary name beside `dest`, hidden, unique. */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * Moves a finished temporary file to `dest`: with `overwrite`, by rename (atomic replace); without, by a hard
 * link that fails if `dest` exists (atomic no-clobber), then the temporary name goes. The directory is synced.
 */
export async function publish(temp: string, dest: string, overwrite: boolean): Promise<void> {
  if (overwrite) await rename(temp, dest);
  else {
    try {
      await link(temp, dest);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new IngestError('DESTINATION_EXISTS', `${dest} already exists; nothing was replaced`, { context: { file: dest } });
      }
      throw error;
    }
    await unlink(temp);
  }
  await syncDirectory(dirname(dest));
}

let names: { users: Map<number, string>; groups: Map<number, string> } | undefined;

function readIds(path: string): Map<number, string> {
  const map = new Map<number, string>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id && /^\d+$/.test(id) && !map.has(Number(id))) map.set(Number(id), name);
    }
  } catch {
    // No passwd/group database (containers, Windows): ids are recorded as numbers.
  }
  return map;
}

/** Owner and group names for FG_FUOWN / FG_FUGRP (the numeric id when no name is known). */
export function ownerNames(uid: number, gid: number): { owner: string; group: string } {
  names ??= { users: readIds('/etc/passwd'), groups: readIds('/etc/group') };
  return { owner: names.users.get(uid) ?? String(uid), group: names.groups.get(gid) ?? String(gid) };
}

/**
 * Writes `target` through a temporary file beside it: `write` fills it, it is synced and closed, `finish` may
 * set its attributes, then it is {@link publish}ed. On any failure the temporary file is removed.
 */
export async function writeThroughTemp<T>(
  target: string,
  overwrite: boolean,
  write: (out: FileHandle) => Promise<T>,
  finish?: (temp: string) => Promise<void>,
): Promise<T> {
  const temp = tempPathFor(target);
  const out = await open(temp, 'wx', 0o644);
  try {
    const result = await write(out);
    await out.sync();
    await out.close();
    await finish?.(temp);
    await publish(temp, target, overwrite);
    return result;
  } catch (error) {
    await out.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
}
