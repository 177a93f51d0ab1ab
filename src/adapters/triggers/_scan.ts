/**
 * One pass over the watched roots: the files already there, oldest first, queued for announcement. Internal to
 * src/adapters/triggers.
 *
 * @module
 */
import type { Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkItem } from '../../core/ports/trigger.js';
import type { FileFilter } from './_file-filter.js';
import { fileIdentity, type SeenFiles } from './_seen-files.js';
import type { SubmitQueue } from './_submit-queue.js';

/** A file found by {@link scanFiles}. */
export interface ScannedFile {
  path: string;
  stats: Stats;
}

/** A directory that could not be read, or a root that is missing. */
export interface ScanProblem {
  path: string;
  error: NodeJS.ErrnoException;
}

/**
 * Lists the accepted files below `roots` (descending into subdirectories when `recursive`), following symbolic
 * links but entering each real directory once. Sorted by mtime, then path. Unreadable directories are reported
 * through `onProblem` and skipped; `shouldStop` is polled between directories.
 */
export async function scanFiles(options: {
  roots: readonly string[];
  recursive: boolean;
  filter: FileFilter;
  onProblem(problem: ScanProblem): void;
  shouldStop(): boolean;
}): Promise<ScannedFile[]> {
  const found: ScannedFile[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    if (options.shouldStop()) return;
    let names: string[];
    try {
      const real = await realpath(dir);
      if (visited.has(real)) return;
      visited.add(real);
      names = (await readdir(dir)).sort();
    } catch (error) {
      options.onProblem({ path: dir, error: error as NodeJS.ErrnoException });
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let stats: Stats;
      try {
        stats = await stat(path);
      } catch {
        continue; // removed meanwhile, or a dangling link
      }
      if (stats.isDirectory()) {
        if (options.recursive && options.filter.acceptsDirectory(path)) await walk(path);
      } else if (stats.isFile() && options.filter.acceptsFile(path)) found.push({ path, stats });
    }
  };
  for (const root of options.roots) await walk(root);
  return found.sort((a, b) => a.stats.mtimeMs - b.stats.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Scans `roots` and queues every accepted file not seen yet, oldest first, waiting while `maxQueue` items are
 * queued (so a large backlog never sits in memory as items).
 */
export async function announceExisting(run: {
  roots: readonly string[];
  recursive: boolean;
  filter: FileFilter;
  queue: SubmitQueue;
  maxQueue: number;
  seen?: SeenFiles;
  makeItem(path: string, stats: Stats): WorkItem;
  onProblem(problem: ScanProblem): void;
  stopped(): boolean;
}): Promise<void> {
  const files = await scanFiles({ ...run, shouldStop: run.stopped });
  for (const { path, stats } of files) {
    await run.queue.below(run.maxQueue);
    if (run.stopped()) return;
    if (run.seen && !run.seen.record(path, fileIdentity(stats))) continue;
    run.queue.push(run.makeItem(path, stats));
  }
}
