/**
 * Making a destination directory under the archive root without ever leaving it, even through a symbolic link.
 * Internal to src/adapters/transports.
 *
 * @module
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { IngestError, toIngestError } from '../../core/errors.js';

/** A destination inside the root: its real directory and file path. */
export interface SafeDestination {
  /** The real (symlink-free) directory that holds the file. */
  dir: string;
  /** The file's name in `dir`. */
  base: string;
  /** `dir` + `base`. */
  path: string;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function escape(relPath: string, detail: string): IngestError {
  return new IngestError('UNSAFE_DESTINATION', `${relPath}: ${detail}`, { context: { destination: relPath } });
}

/**
 * Resolves `relPath` (with `/`, already made of safe names) under `root`, creating the missing directories one
 * level at a time. A symbolic link on the way is followed only when it resolves inside the root; a link at the
 * file name itself is refused. The root must exist: a missing root (an unmounted archive disk) is a transient
 * FILE_NOT_FOUND, never created here.
 *
 * @throws IngestError UNSAFE_DESTINATION when the path would leave the root or crosses a non-directory.
 */
export async function safeDestination(root: string, relPath: string, cache?: DirectoryCache): Promise<SafeDestination> {
  const segments = relPath.split('/');
  const base = segments.pop()!;
  const dirRel = segments.join('/');
  const now = Date.now();
  let dir = cache?.get(dirRel);
  if (dir === undefined || dir.until < now) {
    dir = { path: await safeDirectory(root, relPath, segments), until: now + (cache?.ttlMs ?? 0) };
    cache?.set(dirRel, dir);
  }
  const path = join(dir.path, base);
  const stats = await lstatOrUndefined(path);
  if (stats && !stats.isFile()) throw escape(relPath, `"${base}" exists and is not a regular file (a link or a directory)`);
  return { dir: dir.path, base, path };
}

/**
 * Directories already checked, by path relative to the root, so that a night's thousands of files do not check
 * (lstat, realpath) the same directories each time. Entries expire after `ttlMs`, bounding how long a directory
 * replaced by a symbolic link could go unnoticed.
 */
export class DirectoryCache extends Map<string, { path: string; until: number }> {
  constructor(readonly ttlMs = 10_000) {
    super();
  }
}

async function safeDirectory(root: string, relPath: string, segments: string[]): Promise<string> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    const e = toIngestError(error, { file: root });
    throw new IngestError(e.code, `cannot open the archive root: ${e.detail}`, {
      context: e.context,
      cause: error,
      hint: 'check that the archive root exists and is mounted; the transport never creates it',
    });
  }
  let dir = realRoot;
  for (const segment of segments) {
    const next = join(dir, segment);
    let stats = await lstatOrUndefined(next);
    if (!stats) {
      await mkdir(next).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      stats = await lstat(next);
    }
    if (stats.isSymbolicLink()) {
      const target = await realpath(next);
      if (!inside(realRoot, target)) {
        throw escape(relPath, `"${segment}" is a symbolic link to ${target}, outside the archive root`);
      }
      if (!(await lstat(target)).isDirectory()) throw escape(relPath, `"${segment}" is not a directory`);
      dir = target;
    } else if (stats.isDirectory()) {
      dir = next;
    } else {
      throw escape(relPath, `"${segment}" exists and is not a directory`);
    }
  }
  return dir;
}
