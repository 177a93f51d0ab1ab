/**
 * Running one catalog call on a pooled connection of the PostgreSQL catalog, and riding out connection faults:
 * a refused connection (a server restarting), a connection dropped before COMMIT was sent (`pg_terminate_backend`,
 * a restart, a failover) is retried with backoff for up to `retryForMs`, because the server rolled back whatever
 * the call had begun, so running it again neither loses nor doubles anything; so is a COMMIT the server answered by
 * ending the session (57P01). A connection otherwise lost while COMMIT was on its way is not retried (the outcome
 * is unknown): the call fails with CATALOG_UNREACHABLE (transient) and the caller's version checks decide on its
 * next try (every write is guarded by a version check or a unique key, so a second try never doubles a write). Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../../core/errors.js';
import { fromPgError, isConnectionError, type Client, type Pool } from './_postgres-driver.js';

/** `single`: statements outside a transaction (reads, or a call that manages its own); `write`: one transaction. */
export type RunMode = 'single' | 'snapshot' | 'write';

/** How {@link runWithRetry} reaches the server. */
export interface RunTarget {
  /** The pool, or undefined once the catalog is closed. */
  pool: () => Pool | undefined;
  context: ErrorContext;
  /** How long connection faults are retried (0: never). */
  retryForMs: number;
}

interface Failure {
  error: unknown;
  /** The server rolled back whatever this attempt did (or it never reached the server): safe to run again. */
  retryable: boolean;
}

async function once<T>(pool: Pool, fn: (c: Client) => Promise<T>, mode: RunMode): Promise<{ value: T } | Failure> {
  let client: Client;
  try {
    client = await pool.connect();
  } catch (error) {
    return { error, retryable: isConnectionError(error) };
  }
  let broken = false;
  let committing = false;
  let brokenBeforeCommit = false;
  // The server may end the connection between two statements of the call (restart, pg_terminate_backend): the
  // client then emits 'error', which must not go unheard; the next statement fails and the call is handled below.
  const onError = (): void => void (broken = true);
  client.on('error', onError);
  try {
    if (mode !== 'single') await client.query(mode === 'write' ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const value = await fn(client);
    committing = true;
    brokenBeforeCommit = broken; // the connection died before COMMIT could be sent: the server rolled back
    if (mode !== 'single') await client.query('COMMIT');
    return { value };
  } catch (error) {
    broken = isConnectionError(error);
    if (mode !== 'single' && !broken && !committing) await client.query('ROLLBACK').catch(() => (broken = true));
    // The server ending the session itself (57P01: pg_terminate_backend, a fast shutdown) does so at an interrupt
    // point, never inside a commit: a COMMIT answered that way was not committed.
    const terminated = (error as { code?: string } | null)?.code === '57P01';
    return { error, retryable: broken && (!committing || brokenBeforeCommit || mode !== 'write' || terminated) };
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` on one connection (`write`: in a transaction; `snapshot`: in a read-only repeatable-read one),
 * retrying connection faults as the module describes.
 *
 * @throws IngestError CATALOG_NOT_OPEN when the catalog is (or gets) closed; the mapped error of `pg` otherwise
 */
export async function runWithRetry<T>(target: RunTarget, fn: (c: Client) => Promise<T>, mode: RunMode = 'single'): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const pool = target.pool();
    if (!pool) throw new IngestError('CATALOG_NOT_OPEN', 'the PostgreSQL catalog is not open', { context: target.context });
    const result = await once(pool, fn, mode);
    if ('value' in result) return result.value;
    const waited = Date.now() - started;
    if (!result.retryable || waited >= target.retryForMs || !target.pool()) throw fromPgError(result.error, target.context);
    // 50 ms, 100 ms … 2 s, with jitter so that hosts reconnecting after a restart do not knock at once.
    const delay = Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
    await sleep(Math.min(delay, target.retryForMs - waited));
  }
}
