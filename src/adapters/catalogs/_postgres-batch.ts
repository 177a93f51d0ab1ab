/**
 * Batched commits for the PostgreSQL catalog (group commit, as the SQLite catalog's `_sqlite-group-commit.ts`):
 * catalog writes asked for at the same time (transitions and ARCHIVED commits of different files) share one
 * transaction, so one COMMIT (one round trip, one WAL flush on the server) serves them all, instead of one each.
 *
 * Each write runs inside its own SAVEPOINT: a write that fails (a version conflict, an archive id already taken,
 * any SQL error) is rolled back to its savepoint alone, its caller gets the error, and the others commit. So every
 * write stays all or nothing — an ARCHIVED commit (record, archived file, history, events) is still one atomic
 * unit — and a failure of one neither loses nor doubles another. A write chosen as a deadlock victim (several
 * rows locked by one batch can meet another connection's locks in the other order) is rolled back to its savepoint
 * and run again alone after the batch. When the connection is lost, the whole batch goes to
 * {@link runWithRetry}: retried when the server surely rolled it back, else every write of it fails with
 * CATALOG_UNREACHABLE (the outcome is unknown; each caller's version check decides on its next try, as for a lone
 * write).
 *
 * Nothing waits for a timer: a batch starts at the end of the current turn of the event loop (`setImmediate`) with
 * the writes queued by then (at most {@link MAX_BATCH}, so that a transaction never holds more nested savepoints
 * than PostgreSQL keeps cached); up to `maxInFlight` batches run at once, and writes asked for while they run form
 * the next ones. A lone write runs as a plain transaction.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import type { Client } from './_postgres-driver.js';
import { isConnectionError } from './_postgres-driver.js';
import type { BatchHooks } from './_sqlite-group-commit.js';

/** Most writes in one batch (PostgreSQL caches 64 subtransactions per transaction; more spill to disk). */
export const MAX_BATCH = 32;

/** Runs `fn` in one transaction on one connection, riding out connection faults (the catalog's `run(…, 'write')`). */
export type RunWrite = <T>(fn: (c: Client) => Promise<T>) => Promise<T>;

interface Queued {
  fn: (c: Client) => Promise<unknown>;
  /** What the write is (`commit` for an ARCHIVED commit), for {@link BatchHooks}. */
  tag: string | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown; alone: boolean };

/** Deadlock (40P01) or serialization failure (40001): nothing of the write is kept, running it again is safe. */
const mayRunAgain = (error: unknown): boolean => /^(40P01|40001)$/.test((error as { code?: string } | null)?.code ?? '');

/** Counters (tests and benchmarks count transactions per write). */
export interface BatchStats {
  /** Transactions run for batches (a lone write's included). */
  batches: number;
  /** Writes asked for. */
  writes: number;
  /** Writes run again alone after a deadlock inside a batch. */
  rerun: number;
}

/** The batch counters of each PostgreSQL catalog made (tests and benchmarks read them; not public API). */
export const batchStatsOf = new WeakMap<object, BatchStats>();

/** Group commit of catalog writes (see the module). */
export class PostgresWriteBatcher {
  #queue: Queued[] = [];
  #scheduled = false;
  #running = 0;
  readonly stats: BatchStats = { batches: 0, writes: 0, rerun: 0 };

  /**
   * @param runWrite runs a function in one transaction (with the catalog's retries)
   * @param mapError turns what a write of a batch threw into what its caller gets (as `runWrite` does)
   * @param maxInFlight batches running at once, each on its own pooled connection (one alone would queue every
   *   write of the process behind one connection, while PostgreSQL already shares one WAL flush among commits that
   *   arrive together)
   * @param hooks test points: `beforeCommit` once every write of the batch ran, before COMMIT is sent;
   *   `beforeFlush` once COMMIT returned, before any caller hears of it (crash tests kill the process there)
   */
  constructor(
    private readonly runWrite: RunWrite,
    private readonly mapError: (error: unknown) => unknown,
    private readonly maxInFlight: number,
    private readonly hooks: BatchHooks = {},
  ) {}

  /** Queues `fn` for the next batch; resolves with its result once its batch committed. */
  write<T>(fn: (c: Client) => Promise<T>, tag?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.stats.writes++;
      this.#queue.push({ fn, tag, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#running >= this.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running >= this.maxInFlight || this.#queue.length === 0) return;
    this.#running++;
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#schedule();
    try {
      await this.#run(batch);
    } finally {
      this.#running--;
      this.#schedule();
    }
  }

  async #run(batch: Queued[]): Promise<void> {
    this.stats.batches++;
    const tags = batch.map((item) => item.tag);
    if (batch.length === 1) {
      const [item] = batch as [Queued];
      const lone = async (c: Client): Promise<unknown> => {
        const value = await item.fn(c);
        this.hooks.beforeCommit?.(tags);
        return value;
      };
      await this.runWrite(lone).then((value) => {
        this.hooks.beforeFlush?.(tags);
        item.resolve(value);
      }, item.reject);
      return;
    }
    let outcomes: Outcome[] = [];
    try {
      await this.runWrite(async (c) => {
        outcomes = []; // a retried batch starts over: the server rolled back the attempt before
        for (const item of batch) {
          await c.query('SAVEPOINT batch_write');
          try {
            outcomes.push({ ok: true, value: await item.fn(c) });
          } catch (error) {
            if (isConnectionError(error)) throw error; // the whole batch is lost: runWithRetry decides
            await c.query('ROLLBACK TO SAVEPOINT batch_write');
            outcomes.push({ ok: false, error, alone: mayRunAgain(error) });
          }
        }
        this.hooks.beforeCommit?.(tags);
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.hooks.beforeFlush?.(tags);
    for (const [i, item] of batch.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else if (!outcome.alone) item.reject(this.mapError(outcome.error));
      else {
        this.stats.rerun++;
        await this.runWrite(item.fn).then(item.resolve, item.reject);
      }
    }
  }

  /** Resolves once no write is queued or running (before the pool closes). */
  async settle(): Promise<void> {
    while (this.#scheduled || this.#running > 0 || this.#queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
