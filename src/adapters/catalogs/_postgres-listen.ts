/**
 * Wake-up hints of the PostgreSQL catalog: writes that make work claimable by others (a record inserted, a lease
 * released, a record requeued) send `NOTIFY fits_ingest_work` in their transaction, and a LISTEN session wakes the
 * local claim loops when one arrives. Only a hint: a notification sent while the session is down is lost, and the
 * claim loop's polling finds that work anyway. The session reconnects with backoff while anyone listens.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import type Pg from 'pg';

/** The channel of the hints. */
export const WORK_CHANNEL = 'fits_ingest_work';
/** What a write transaction runs to send a hint (delivered at COMMIT, dropped on ROLLBACK). */
export const NOTIFY_WORK = `SELECT pg_notify('${WORK_CHANNEL}', '')`;

/** The LISTEN session of one catalog. */
export interface WorkListener {
  /** Calls `wake` on each hint until the returned function is called. Opens the session on first use. */
  add(wake: () => void): () => void;
  /** Closes the session. */
  close(): Promise<void>;
}

/** A listener whose session comes from `connect` (a new, unconnected client each time). */
export function createWorkListener(connect: () => Promise<Pg.Client>, retry = { firstMs: 500, maxMs: 5000 }): WorkListener {
  const wakers = new Set<() => void>();
  let client: Pg.Client | undefined;
  let opening = false;
  let closed = false;
  let delay = retry.firstMs;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (closed || wakers.size === 0 || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void open();
    }, delay);
    timer.unref();
    delay = Math.min(retry.maxMs, delay * 2);
  };

  async function open(): Promise<void> {
    if (closed || client || opening || wakers.size === 0) return;
    opening = true;
    let c: Pg.Client | undefined;
    try {
      c = await connect();
      c.on('notification', (message) => {
        if (message.channel === WORK_CHANNEL) for (const wake of [...wakers]) wake();
      });
      const lost = (): void => {
        if (client !== c) return;
        client = undefined;
        c?.end().catch(() => undefined);
        schedule();
      };
      c.on('error', lost);
      c.on('end', lost);
      await c.connect();
      await c.query(`LISTEN ${WORK_CHANNEL}`);
      if (closed) throw new Error('closed');
      client = c;
      delay = retry.firstMs;
    } catch {
      await c?.end().catch(() => undefined);
      schedule();
    } finally {
      opening = false;
    }
  }

  return {
    add(wake) {
      wakers.add(wake);
      void open();
      return () => {
        wakers.delete(wake);
      };
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
