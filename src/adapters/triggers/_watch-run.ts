/**
 * One running folder watcher (from start to stop) of the filesystem trigger: chokidar events merged per path
 * into windows, duplicate suppression, scans, and watched directories that are missing or removed. Internal to
 * src/adapters/triggers.
 *
 * @module
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import { IngestError, toIngestError } from '../../core/errors.js';
import type { TriggerSink, WorkItem } from '../../core/ports/trigger.js';
import type { FileFilter } from './_file-filter.js';
import { announceExisting } from './_scan.js';
import { fileIdentity, type SeenFiles } from './_seen-files.js';
import { alertFrom, type SubmitQueue } from './_submit-queue.js';

/** What a {@link WatchRun} needs, already validated. */
export interface WatchRunSettings {
  name: string;
  roots: readonly string[];
  filter: FileFilter;
  recursive: boolean;
  scanExisting: boolean;
  usePolling: boolean;
  pollIntervalMs: number;
  debounceMs: number;
  maxQueue: number;
  makeItem(path: string, stats: Stats, detectedAt: number): WorkItem;
}

/** A WATCH_ERROR for `path`, naming the errno of `cause` when there is one. */
export function watchError(message: string, path: string, cause?: unknown): IngestError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new IngestError('WATCH_ERROR', errno ? `${message} (${errno})` : message, { context: { file: path }, cause });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Watches the roots into a queue until {@link WatchRun.stop}. */
export class WatchRun {
  readonly #settings: WatchRunSettings;
  readonly #sink: TriggerSink;
  readonly #queue: SubmitQueue;
  readonly #seen: SeenFiles;
  readonly #windows = new Map<string, NodeJS.Timeout>();
  /** Roots that exist and are given to chokidar; the others are checked for every `pollIntervalMs`. */
  readonly #watchedRoots = new Set<string>();
  #rootTimer: NodeJS.Timeout | undefined;
  readonly #tasks = new Set<Promise<void>>();
  readonly #watcher: FSWatcher;
  #stopped = false;
  #abandonReady: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(settings: WatchRunSettings, sink: TriggerSink, queue: SubmitQueue, seen: SeenFiles) {
    this.#settings = settings;
    this.#sink = sink;
    this.#queue = queue;
    this.#seen = seen;
    const { filter } = settings;
    this.#watcher = watch([], {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: true,
      atomic: false,
      usePolling: settings.usePolling,
      interval: settings.pollIntervalMs,
      binaryInterval: settings.pollIntervalMs,
      depth: settings.recursive ? undefined : 0,
      ignored: (path, stats) => (stats?.isFile() ? !filter.acceptsFile(path) : !filter.acceptsDirectory(path)),
    });
    this.#watcher.on('add', (path) => this.#onEvent(path));
    this.#watcher.on('change', (path) => this.#onEvent(path));
    this.#watcher.on('unlink', (path) => this.#seen.forget(path));
    this.#watcher.on('unlinkDir', (path) => {
      if (settings.roots.includes(path)) this.#track(this.#checkRoots());
    });
    this.#watcher.on('error', (error) => {
      const path = (error as NodeJS.ErrnoException).path ?? settings.roots.join(', ');
      this.#alert(watchError(`watcher error: ${toIngestError(error).detail}`, path, error), path);
    });
  }

  /**
   * Watches the roots that exist (each missing one is alerted and waited for), resolves once the watcher is
   * ready; the scan of existing files then runs in the background.
   */
  async start(): Promise<void> {
    const present: string[] = [];
    for (const root of this.#settings.roots) {
      if (await isDirectory(root)) present.push(root);
      else this.#alert(watchError(`cannot watch ${root}: not an existing directory; waiting for it to appear`, root), root);
    }
    this.#scheduleRootCheck();
    if (this.#stopped || present.length === 0) return;
    for (const root of present) this.#watchedRoots.add(root);
    this.#watcher.add(present);
    await new Promise<void>((ready) => {
      this.#abandonReady = ready;
      this.#watcher.once('ready', ready);
    });
    if (this.#settings.scanExisting) this.#scan(present);
  }

  /** Closes the watcher, drops queued announcements, resolves once the submits in flight are done. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      for (const timer of this.#windows.values()) clearTimeout(timer);
      this.#windows.clear();
      clearTimeout(this.#rootTimer);
      this.#abandonReady?.();
      await this.#watcher.close();
      await this.#queue.close();
      await Promise.all(this.#tasks);
    })();
    return this.#stopping;
  }

  #alert(error: IngestError, path?: string): void {
    alertFrom(this.#sink, this.#settings.name, error, path);
  }

  #onEvent(path: string): void {
    if (this.#stopped || this.#windows.has(path) || !this.#settings.filter.acceptsFile(path)) return;
    const openedAt = Date.now();
    this.#windows.set(
      path,
      setTimeout(() => this.#track(this.#settle(path, openedAt)), this.#settings.debounceMs),
    );
  }

  /** Closes the window of `path`: announces it when its identity changed since it was last announced. */
  async #settle(path: string, openedAt: number): Promise<void> {
    this.#windows.delete(path);
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#alert(watchError(`cannot stat ${path}`, path, error), path);
      return;
    }
    if (this.#stopped || !stats.isFile() || !this.#seen.record(path, fileIdentity(stats))) return;
    this.#queue.push(this.#settings.makeItem(path, stats, openedAt));
  }

  #scan(roots: readonly string[]): void {
    const settings = this.#settings;
    const scan = announceExisting({
      roots,
      recursive: settings.recursive,
      filter: settings.filter,
      queue: this.#queue,
      maxQueue: settings.maxQueue,
      seen: this.#seen,
      makeItem: (path, stats) => settings.makeItem(path, stats, Date.now()),
      onProblem: ({ path, error }) => this.#alert(watchError(`cannot read directory ${path}`, path, error), path),
      stopped: () => this.#stopped,
    });
    const where = roots.join(', ');
    this.#track(scan.catch((error) => this.#alert(watchError(`scan failed: ${toIngestError(error).detail}`, where, error))));
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  #scheduleRootCheck(): void {
    if (this.#stopped) return;
    this.#rootTimer = setTimeout(
      () => this.#track(this.#checkRoots().finally(() => this.#scheduleRootCheck())),
      this.#settings.pollIntervalMs,
    );
  }

  /**
   * Every `pollIntervalMs` (and when chokidar reports a root removed): a watched root that is gone is alerted
   * and unwatched; a missing root that is a directory again is watched and scanned (all it holds is new).
   */
  async #checkRoots(): Promise<void> {
    for (const root of this.#settings.roots) {
      const present = await isDirectory(root);
      if (this.#stopped) return;
      if (present === this.#watchedRoots.has(root)) continue;
      if (present) {
        this.#watchedRoots.add(root);
        this.#watcher.add(root);
        this.#scan([root]);
      } else {
        this.#watchedRoots.delete(root);
        this.#watcher.unwatch(root);
        this.#alert(watchError(`watched directory ${root} was removed; waiting for it to reappear`, root), root);
      }
    }
  }
}
