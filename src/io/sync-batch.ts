/**
 * Batch durability: files and directories made durable in shared passes instead of one flush at a time.
 *
 * Every path asked for in one turn of the microtask queue joins one pass, which starts at the end of that turn (no
 * timer: a lone caller is not slowed). A pass `fdatasync`s all its files at once and `fsync`s all its directories at
 * once, each path once however many callers asked; the filesystem's journal then commits them together instead of
 * once per file. A pass does not wait for the one before it: on a journaling filesystem concurrent flushes of
 * different files already share journal commits, and waiting for the previous pass only added latency when few files
 * are in flight. Flushes of ONE file or directory that many writers share (a night's directory, its manifest) are
 * better coalesced per key (`FlushCoalescer` in durable-fs.ts: whoever asks while one runs gets the next): concurrent
 * flushes of the same inode serialize in the kernel, each with its own journal commit. Each caller waits only for its own paths and gets only their errors: a failing flush
 * of one file fails the callers that asked for that file, not the whole pass.
 *
 * Callers keep their own ordering by awaiting: data before the rename that publishes it (flush the temp file,
 * then rename), the rename before the commit that depends on it (flush the directory, then commit).
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { syncDirectory } from './durable-fs.js';

/** Counters of a {@link SyncBatch} (tests and benchmarks count passes per file). */
export interface SyncBatchStats {
  /** Passes run. */
  passes: number;
  /** Files flushed (each once per pass, however many callers asked). */
  files: number;
  /** Directories flushed. */
  dirs: number;
}

interface Pending {
  files: Set<string>;
  dirs: Set<string>;
  /** Resolves with each path's flush once the pass has started them all. */
  started: Promise<Map<string, Promise<void>>>;
}

/** `fdatasync` of a file: its data and the metadata needed to read it back (size), not its timestamps. */
async function datasync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Shared flush passes over files and directories (see the module comment). */
export class SyncBatch {
  #next: Pending | undefined;
  readonly stats: SyncBatchStats = { passes: 0, files: 0, dirs: 0 };

  /**
   * @param flushFile flushes one file's data (`fdatasync` by default)
   * @param flushDir flushes one directory's entries (`fsync`, tolerating filesystems that refuse it)
   */
  constructor(
    private readonly flushFile: (path: string) => Promise<void> = datasync,
    private readonly flushDir: (path: string) => Promise<void> = syncDirectory,
  ) {}

  /** Resolves once `files` (their data) and `dirs` (their entries) were flushed by a pass that began after this call. */
  async sync(files: readonly string[], dirs: readonly string[] = []): Promise<void> {
    if (files.length === 0 && dirs.length === 0) return;
    const pending = this.#pending();
    for (const file of files) pending.files.add(file);
    for (const dir of dirs) pending.dirs.add(`dir:${dir}`);
    const flushes = await pending.started;
    await Promise.all([...files, ...dirs.map((d) => `dir:${d}`)].map((key) => flushes.get(key)!));
  }

  #pending(): Pending {
    if (this.#next) return this.#next;
    const files = new Set<string>();
    const dirs = new Set<string>();
    // The pass starts at the end of this turn: everyone asking until then joins it.
    const started = Promise.resolve().then(() => {
      this.#next = undefined;
      this.stats.passes++;
      this.stats.files += files.size;
      this.stats.dirs += dirs.size;
      const flushes = new Map<string, Promise<void>>();
      for (const file of files) flushes.set(file, this.flushFile(file));
      for (const key of dirs) flushes.set(key, this.flushDir(key.slice(4)));
      // Callers handle each flush's error (no unhandled rejection for a path nobody awaits any more).
      for (const flush of flushes.values()) flush.catch(() => {});
      return flushes;
    });
    this.#next = { files, dirs, started };
    return this.#next;
  }
}

/** The pass shared by every writer of this process (transports writing archived copies and sidecars). */
export const sharedSyncBatch = new SyncBatch();
