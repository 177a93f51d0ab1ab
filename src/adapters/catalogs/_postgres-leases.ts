/**
 * The heartbeat of the PostgreSQL catalog: the claims this process holds (records handed out by `claim`, or
 * inserted with a lease) are renewed every `heartbeatMs` until they are released, the record ends (a final state,
 * the ARCHIVED commit), another owner holds it, or the catalog closes. So a lease can be short (seconds): work in
 * progress is never taken over while its host is alive, and a host that dies stops renewing, so its files come
 * back to the others within one lease. Renewals count time on the caller's clock (the `now` of the claim plus the
 * time elapsed since), so a caller with an injected clock sees consistent leases. Internal to src/adapters/catalogs.
 *
 * @module
 */
import type { Client } from './_postgres-driver.js';
import { ACTIVE_STATES_V1 } from './_sqlite-schema.js';

const ACTIVE = ACTIVE_STATES_V1.map((s) => `'${s}'`).join(', ');
const RENEW = `UPDATE records AS r SET lease_until = v.until
  FROM unnest($2::text[], $3::float8[]) AS v(id, until)
  WHERE r.id = v.id AND r.lease_owner = $1 AND r.state IN (${ACTIVE})
  RETURNING r.id`;

interface Held {
  owner: string;
  /** The caller's clock minus Date.now() when claimed. */
  offset: number;
  leaseMs: number;
}

/** Claims held by this process, renewed on a timer. */
export interface LeaseKeeper {
  /** Starts renewing `ids`, claimed by `owner` at the caller's time `now` for `leaseMs`. */
  hold(owner: string, ids: readonly string[], now: number, leaseMs: number): void;
  /** Stops renewing `id` (released, ended). */
  drop(id: string): void;
  /** Ids renewed now, for tests and diagnostics. */
  held(): string[];
  /** Renews every held lease once now (what the timer does). */
  renew(): Promise<void>;
  /** Stops the timer and forgets every claim. */
  stop(): void;
}

/**
 * A keeper renewing through `run` (one write transaction) every `heartbeatMs`. A failed renewal (the server is
 * unreachable) is tried again at the next beat; a renewal that no longer finds the record leased to its owner
 * forgets it.
 */
export function createLeaseKeeper(run: <T>(fn: (c: Client) => Promise<T>) => Promise<T>, heartbeatMs: number): LeaseKeeper {
  const leases = new Map<string, Held>();
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;

  async function renewNow(): Promise<void> {
    const byOwner = new Map<string, [string, Held][]>();
    for (const entry of leases) {
      const list = byOwner.get(entry[1].owner) ?? [];
      list.push(entry);
      byOwner.set(entry[1].owner, list);
    }
    for (const [owner, entries] of byOwner) {
      const wall = Date.now();
      const ids = entries.map(([id]) => id);
      const until = entries.map(([, h]) => wall + h.offset + h.leaseMs);
      const kept = await run(async (c) => new Set((await c.query<{ id: string }>(RENEW, [owner, ids, until])).rows.map((r) => r.id)));
      for (const [id, h] of entries) if (!kept.has(id) && leases.get(id) === h) leases.delete(id);
    }
  }

  const keeper: LeaseKeeper = {
    hold(owner, ids, now, leaseMs) {
      const offset = now - Date.now();
      for (const id of ids) leases.set(id, { owner, offset, leaseMs });
      if (!timer && leases.size > 0) {
        timer = setInterval(() => {
          if (!beating) beating = keeper.renew().catch(() => undefined).finally(() => (beating = undefined));
        }, heartbeatMs);
        timer.unref();
      }
    },
    drop(id) {
      leases.delete(id);
    },
    held: () => [...leases.keys()],
    async renew() {
      if (leases.size > 0) await renewNow();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      leases.clear();
    },
  };
  return keeper;
}
