/**
 * Group commit for the SQLite catalog: many transactions, one flush. Internal to src/adapters/catalogs.
 *
 * The connection runs with `PRAGMA synchronous = NORMAL`: in WAL mode a commit then appends its pages to the
 * `-wal` file without flushing it (microseconds instead of a disk flush that blocks the event loop). A write that
 * must be durable before its caller goes on awaits {@link WalFlusher.durable}: an `fsync` of the `-wal` file on
 * libuv's thread pool, shared by every transaction committed before it started (classic group commit: whoever
 * asks while a flush runs gets the next one, together with everyone else who asked meanwhile; a lone write gets
 * its flush at once, there is no fixed delay). The WAL is appended in commit order, so one flush makes every
 * earlier commit durable too: a durable ARCHIVED always comes with its whole history.
 *
 * Why flushing the `-wal` file from outside SQLite is enough (SQLite's own rules for WAL with synchronous NORMAL):
 * the WAL is synced before each checkpoint copies it into the database and the database is synced after, and the
 * WAL is only reused from its start once it was wholly checkpointed. So a commit is on disk once either the `-wal`
 * file was flushed after it (this flush) or a checkpoint moved it into the synced database file. The `-wal` file
 * exists as long as a connection is open (ours is), and it is only deleted by the last connection's close, after
 * a synced checkpoint; if it is missing the database file is flushed instead.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileRecord } from '../../core/lifecycle/record.js';
import type { StateName } from '../../core/lifecycle/states.js';
import { FlushCoalescer, syncDirectory } from '../../io/durable-fs.js';

/**
 * States a record reaches through a step that is simply redone when the transition is lost: the staged copy is
 * a pure function of the source and the record, and transfers are idempotent (the same bytes already in place
 * count as done). A transition into one of them need not be flushed before the engine goes on; it becomes
 * durable with the next flush (at the latest the file's ARCHIVED commit). Every other write (a new record, a
 * final state, a failure, the commit, claims) is flushed before its promise resolves.
 */
export const REDOABLE_STATES: ReadonlySet<StateName> = new Set<StateName>(['STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED']);

/** True when storing `record` may be flushed lazily (see {@link REDOABLE_STATES}). */
export function mayFlushLazily(record: FileRecord): boolean {
  return REDOABLE_STATES.has(record.state);
}

/** Counters of the flusher (tests and benchmarks count flushes per file). */
export interface FlushStats {
  /** Durable writes asked for. */
  asked: number;
  /** `fsync` calls made. */
  flushes: number;
}

async function fsyncFile(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    await handle.sync();
    return true;
  } finally {
    await handle.close();
  }
}

/** Shared flushes of one database's WAL. */
export class WalFlusher {
  readonly #coalescer = new FlushCoalescer();
  readonly #path: string;
  readonly stats: FlushStats = { asked: 0, flushes: 0 };
  #pending: Promise<void> | undefined;

  /** @param path the database file (its WAL is `<path>-wal`) */
  constructor(path: string) {
    this.#path = path;
  }

  /** Resolves once every transaction committed before this call is on stable storage. */
  durable(): Promise<void> {
    this.stats.asked++;
    const flush = this.#coalescer.flush(this.#path, async () => {
      this.stats.flushes++;
      if (!(await fsyncFile(`${this.#path}-wal`))) await fsyncFile(this.#path);
    });
    const tracked = flush.finally(() => {
      if (this.#pending === tracked) this.#pending = undefined;
    });
    this.#pending = tracked;
    return flush;
  }

  /** Waits for the flush in progress, if any (before the connection closes). */
  async settle(): Promise<void> {
    while (this.#pending) await this.#pending.catch(() => {});
  }

  /** Makes the database and WAL files' directory entries durable (once, after they were created). */
  async syncDirectory(): Promise<void> {
    await syncDirectory(dirname(this.#path));
  }
}

/** Test points of a batch (crash tests kill the process there). */
export interface BatchHooks {
  /** Before the batch's transaction runs (for archive commits: their copies are flushed, nothing is committed). */
  beforeCommit?(tags: readonly (string | undefined)[]): void;
  /** After the batch's transaction committed to the WAL, before the WAL is flushed. */
  beforeFlush?(tags: readonly (string | undefined)[]): void;
}

/**
 * The crash-test hook: `FITS_INGEST_TEST_KILL=before-commit:N` (or `before-flush:N`) kills the process with SIGKILL
 * at that point of the batch holding the N-th archive commit. Unset (always, outside tests): no hooks.
 */
export function killHooksFromEnv(value: string | undefined): BatchHooks {
  const match = value === undefined ? null : /^(before-commit|before-flush):(\d+)$/.exec(value);
  if (!match) return {};
  const at = Number(match[2]);
  let seen = 0;
  const kill = (tags: readonly (string | undefined)[]): void => {
    seen += tags.filter((t) => t === 'commit').length;
    if (seen >= at) process.kill(process.pid, 'SIGKILL');
  };
  return match[1] === 'before-commit' ? { beforeCommit: kill } : { beforeFlush: kill };
}

/** A write waiting for the next batch. */
interface Queued {
  fn: () => unknown;
  durable: boolean;
  /** What the write is (`commit` for an archive commit), for {@link BatchHooks}. */
  tag: string | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs writes in batches: every write asked for during one turn of the event loop runs in ONE IMMEDIATE
 * transaction, each inside its own savepoint (a write that throws is rolled back alone and its caller gets the
 * error; the others commit). A page touched by several writes of a batch (an index leaf, the history table's last
 * page) is then appended to the WAL once instead of once per write. Nothing waits for a timer: the batch runs at
 * the end of the current turn (`setImmediate`), so a lone write is not slowed. Writes that must be durable then
 * share one {@link WalFlusher.durable} flush.
 */
export class WriteBatcher {
  #queue: Queued[] = [];
  #scheduled = false;
  readonly stats = { batches: 0, writes: 0 };

  /**
   * @param begin runs `body` as one IMMEDIATE transaction and `savepoint` runs a function in a nested one
   * @param flush makes every committed transaction durable (undefined: nothing is flushed, `synchronous: normal`)
   * @param mapError turns a driver error into what callers get
   * @param inTransaction whether the batch's transaction is still open (SQLite may have rolled it back)
   */
  constructor(
    private readonly begin: (body: () => void) => void,
    private readonly savepoint: (fn: () => unknown) => unknown,
    private readonly flush: (() => Promise<void>) | undefined,
    private readonly mapError: (error: unknown) => unknown,
    private readonly inTransaction: () => boolean,
    private readonly hooks: BatchHooks = {},
  ) {}

  /** Queues `fn` for the next batch; resolves with its result once committed (and flushed when `durable`). */
  write<T>(fn: () => T, durable: boolean, tag?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, durable, tag, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#drain());
      }
    });
  }

  /** Resolves once no write is queued (before the connection closes). */
  async settle(): Promise<void> {
    while (this.#scheduled || this.#queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  #drain(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.stats.batches++;
    this.stats.writes += batch.length;
    const tags = batch.map((item) => item.tag);
    this.hooks.beforeCommit?.(tags);
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.begin(() => {
        for (const item of batch) {
          try {
            results.push({ ok: true, value: this.savepoint(item.fn) });
          } catch (error) {
            // SQLite rolls the whole transaction back on some errors (a full disk, an I/O error): then nothing of
            // the batch is committed, and every write of it fails with that error.
            if (!this.inTransaction()) throw error;
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The transaction itself failed (the lock was not had, the commit could not be written): nothing committed.
      for (const item of batch) item.reject(this.mapError(error));
      return;
    }
    this.hooks.beforeFlush?.(tags);
    let flushed: Promise<void> | undefined;
    for (const [i, item] of batch.entries()) {
      const result = results[i]!;
      if (!result.ok) {
        item.reject(this.mapError(result.error));
        continue;
      }
      if (!item.durable || !this.flush) {
        item.resolve(result.value);
        continue;
      }
      flushed ??= this.flush();
      flushed.then(
        () => item.resolve(result.value),
        (error: unknown) => item.reject(this.mapError(error)),
      );
    }
  }
}
