/**
 * Filesystem triggers: a folder watcher on chokidar ({@link createFilesystemTrigger}) and a one-shot scan of the
 * files already there ({@link createScanTrigger}).
 *
 * ## Who decides that a file is finished
 * Instruments may write a file slowly (minutes, in pieces, with pauses longer than any fixed quiet period), so
 * the watcher never declares a file complete: every item has `complete: false` and
 * `capabilities.announcesComplete` is false. The watcher announces a path when it appears and announces it
 * again after every later change (new size, mtime or inode), merging the events of one path that arrive within
 * `debounceMs` into one announcement. The runtime owns the final check — size and mtime unchanged for its
 * configured stability time AND the FITS structure whole — and dedupes announcements of a path it already has
 * an active record for. A re-announcement therefore means "this path changed since you last heard", never
 * "this is a new file".
 *
 * @module
 */
import type { Stats } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { startStop } from '../../core/runtime/once.js';
import type { Trigger, TriggerSink, WorkItem } from '../../core/ports/trigger.js';
import { compileGlob, createFileFilter, type FileFilter } from './_file-filter.js';
import { parseOptions } from '../_shared/options.js';
import { announceExisting } from './_scan.js';
import { SeenFiles } from './_seen-files.js';
import { alertFrom, SubmitQueue } from './_submit-queue.js';
import { watchError, WatchRun, type WatchRunSettings } from './_watch-run.js';

/** Name of the folder watcher ({@link createFilesystemTrigger}). */
export const FILESYSTEM_TRIGGER = 'filesystem';
/** Name of the one-shot scan ({@link createScanTrigger}). */
export const SCAN_TRIGGER = 'filesystem-scan';

const DEFAULT_INCLUDE = ['*.fits', '*.fit', '*.fts', '*.fits.fz'];
const DEFAULT_EXCLUDE = ['.*', '~*', '*~', '*.tmp', '*.temp', '*.part', '*.partial', '*.swp'];

const globSchema = z
  .string()
  .min(1)
  .superRefine((glob, ctx) => {
    try {
      compileGlob(glob, true);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `invalid glob "${glob}": ${(error as Error).message}` });
    }
  });

const commonShape = {
  /** Directories to look in. Relative paths are resolved against the working directory at creation. */
  paths: z.array(z.string().min(1)).min(1),
  /**
   * Globs of the files to announce: `*` `?` `[abc]` `{a,b}` `**`. A glob without `/` matches the base name, a
   * glob with `/` the path relative to the watched directory.
   * @default ['*.fits', '*.fit', '*.fts', '*.fits.fz']
   */
  include: z.array(globSchema).default(DEFAULT_INCLUDE),
  /**
   * Globs of files (and directories) never announced nor entered, even when included: dotfiles and the usual
   * temporary names of writers and copiers.
   * @default ['.*', '~*', '*~', '*.tmp', '*.temp', '*.part', '*.partial', '*.swp']
   */
  exclude: z.array(globSchema).default(DEFAULT_EXCLUDE),
  /** Match globs case-sensitively (by default `*.fits` also matches `X.FITS`). @default false */
  caseSensitive: z.boolean().default(false),
  /** Look in subdirectories too. @default true */
  recursive: z.boolean().default(true),
  /** Submits in flight at most; further announcements wait in the queue. @default 4 */
  maxConcurrentSubmits: z.int().min(1).max(1000).default(4),
  /**
   * Queued announcements past which a QUEUE_BACKLOG alert is raised; a scan of existing files waits while this
   * many are queued, so it never holds more. @default 10000
   */
  maxQueue: z.int().min(1).default(10_000),
  /** Instrument stamped on every item, when this directory holds one instrument's files. @default undefined */
  instrument: z.string().min(1).optional(),
  /** Processing level stamped on every item (a pipeline's output directory: 1 or 2). @default undefined (0) */
  level: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
};

const scanTriggerOptionsSchema = z.strictObject({
  ...commonShape,
  /** The trigger's name, on every item and alert. @default 'filesystem-scan' */
  name: z.string().min(1).default(SCAN_TRIGGER),
});

const filesystemTriggerOptionsSchema = z.strictObject({
  ...commonShape,
  /** The trigger's name, on every item and alert. @default 'filesystem' */
  name: z.string().min(1).default(FILESYSTEM_TRIGGER),
  /** Announce the files already there when starting (one scan, oldest first). @default true */
  scanExisting: z.boolean().default(true),
  /** Poll instead of using OS events (needed on NFS and other network filesystems). @default false */
  usePolling: z.boolean().default(false),
  /** Polling interval when `usePolling` is set. @default 1000 */
  pollIntervalMs: z.int().min(10).default(1000),
  /**
   * Events of one path within this window are merged: the window opens at the first event, and when it closes
   * the file is stat-ed and announced if its identity (inode, size, mtime) changed. Not a completion test.
   * @default 250
   */
  debounceMs: z.int().min(0).max(60_000).default(250),
  /** Paths whose last announced identity is remembered for duplicate suppression (oldest forgotten first). @default 100000 */
  seenLimit: z.int().min(1).default(100_000),
});

/** Options of {@link createScanTrigger}. */
export type ScanTriggerOptions = z.input<typeof scanTriggerOptionsSchema>;
/** Options of {@link createFilesystemTrigger}. */
export type FilesystemTriggerOptions = z.input<typeof filesystemTriggerOptionsSchema>;

type CommonOptions = z.output<typeof scanTriggerOptionsSchema>;

function workItem(options: CommonOptions, path: string, stats: Stats, detectedAt: number): WorkItem {
  const item: WorkItem = {
    path,
    trigger: options.name,
    detectedAt,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    complete: false,
  };
  if (options.instrument !== undefined) item.instrument = options.instrument;
  if (options.level !== undefined) item.level = options.level;
  return item;
}

function filterOf(options: CommonOptions, roots: readonly string[]): FileFilter {
  return createFileFilter({ roots, include: options.include, exclude: options.exclude, caseSensitive: options.caseSensitive });
}

function newQueue(options: CommonOptions, sink: TriggerSink, seen?: SeenFiles): SubmitQueue {
  return new SubmitQueue({
    sink,
    trigger: options.name,
    concurrency: options.maxConcurrentSubmits,
    backlogAlert: options.maxQueue,
    onRejected: (item) => seen?.forget(item.path),
  });
}

/**
 * A trigger that announces the files already in `paths` once, oldest first, then finishes: `start()` resolves
 * when every file has been submitted. `continuous: false`. Items have `complete: false` (see the module notes).
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createScanTrigger(input: ScanTriggerOptions): Trigger {
  const options = parseOptions(scanTriggerOptionsSchema, input, 'the filesystem scan trigger');
  const roots = options.paths.map((path) => resolve(path));
  let stopped = false;
  let queue: SubmitQueue | undefined;
  const lifecycle = startStop({
    name: `trigger "${options.name}"`,
    interruptStart: true, // stop() ends a long scan early
    async start(sink: TriggerSink) {
      stopped = false;
      queue = newQueue(options, sink);
      await announceExisting({
        roots,
        recursive: options.recursive,
        filter: filterOf(options, roots),
        queue,
        maxQueue: options.maxQueue,
        makeItem: (path, stats) => workItem(options, path, stats, Date.now()),
        onProblem: ({ path, error }) =>
          alertFrom(sink, options.name, watchError(`cannot read directory ${path}`, path, error), path),
        stopped: () => stopped,
      });
      await queue.idle();
    },
    async stop() {
      stopped = true;
      await queue?.close();
    },
  });
  return { name: options.name, capabilities: { continuous: false, announcesComplete: false }, start: lifecycle.start, stop: lifecycle.stop };
}

/**
 * A folder watcher (chokidar): announces each accepted file when it appears and again after every later change,
 * never declaring it complete — the runtime checks stability and FITS structure (see the module notes).
 *
 * - Duplicates: a path is not announced again while its inode, size and mtime are unchanged (the last
 *   `seenLimit` paths are remembered); a file replaced under the same name is announced again.
 * - Back-pressure: at most `maxConcurrentSubmits` submits in flight; waiting announcements are coalesced per
 *   path, so the queue holds at most one item per path.
 * - Errors of the watcher (EACCES, a watched directory removed or missing) become `sink.alert` calls with code
 *   WATCH_ERROR; they never throw.
 * - `start()` resolves once the watcher is ready (the scan of existing files continues in the background);
 *   starting twice throws ALREADY_STARTED. `stop()` closes the watcher, drops queued announcements and resolves
 *   once the submits in flight have finished; it is idempotent.
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createFilesystemTrigger(input: FilesystemTriggerOptions): Trigger {
  const options = parseOptions(filesystemTriggerOptionsSchema, input, 'the filesystem trigger');
  const roots = options.paths.map((path) => resolve(path));
  const settings: WatchRunSettings = {
    ...options,
    roots,
    filter: filterOf(options, roots),
    makeItem: (path, stats, detectedAt) => workItem(options, path, stats, detectedAt),
  };
  let run: WatchRun | undefined;
  const lifecycle = startStop({
    name: `trigger "${options.name}"`,
    interruptStart: true,
    async start(sink: TriggerSink) {
      const seen = new SeenFiles(options.seenLimit);
      run = new WatchRun(settings, sink, newQueue(options, sink, seen), seen);
      await run.start();
    },
    async stop() {
      const stopping = run;
      run = undefined;
      await stopping?.stop();
    },
  });
  return { name: options.name, capabilities: { continuous: true, announcesComplete: false }, start: lifecycle.start, stop: lifecycle.stop };
}
