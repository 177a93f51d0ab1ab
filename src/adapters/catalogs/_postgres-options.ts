/**
 * The options of the PostgreSQL catalog, validated with zod at creation (each field documented with its default).
 * Internal to src/adapters/catalogs; the public type is `PostgresCatalogOptions` in postgres.ts.
 *
 * @module
 */
import { z } from 'zod';
import { catalogInstrumentsSchema } from './_columns.js';

/** The schema of `PostgresCatalogOptions`. */
export const postgresCatalogOptionsSchema = z.strictObject({
  /**
   * `postgres://user:password@host:5432/database` (or `postgresql://`). Without it, `pg` reads the standard
   * variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. The password is never printed: errors show the
   * URL with `***` in its place.
   * @default undefined (the PG* environment variables)
   */
  connectionString: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .optional(),
  /**
   * Instrument descriptions (name and keywordTable): each gets a table `kw_<name>` of typed columns, as in the
   * SQLite catalog; the descriptions are stored in the catalog, versioned.
   * @default []
   */
  instruments: catalogInstrumentsSchema.default([]),
  /**
   * Most connections this process opens to the server.
   * @default 10
   */
  maxConnections: z.int().min(1).max(1000).default(10),
  /**
   * How long opening a connection may take before the call fails with CATALOG_UNREACHABLE (transient), in ms.
   * @default 10000
   */
  connectTimeoutMs: z.int().min(1).max(2_147_483_647).default(10_000),
  /**
   * How long one statement (including waiting for another host's row lock) may run before it fails with
   * CATALOG_BUSY (transient), in ms.
   * @default 30000
   */
  statementTimeoutMs: z.int().min(1).max(2_147_483_647).default(30_000),
  /**
   * `application_name` of the connections, shown in `pg_stat_activity`.
   * @default 'fits-ingest'
   */
  applicationName: z.string().min(1).max(63).default('fits-ingest'),
  /**
   * Longest a claim lasts without renewal, in ms: a claim asked for longer (the engine's `leaseMs`) is cut to this,
   * and renewed every `heartbeatMs` while this process holds it. A host that dies stops renewing, so its files come
   * back to the other hosts within this time (plus their claim interval).
   * @default 30000
   */
  leaseMs: z.int().min(100).max(86_400_000).default(30_000),
  /**
   * How often the claims this process holds are renewed, in ms; must be below `leaseMs`.
   * @default leaseMs / 3
   */
  heartbeatMs: z.int().min(10).optional(),
  /**
   * How long a call rides out connection faults (a server restart, a failover, a killed connection) by retrying
   * with backoff before failing with CATALOG_UNREACHABLE, in ms. Only work the server rolled back is run again.
   * Opening the catalog (`init`) is not retried.
   * @default 60000
   */
  retryForMs: z.int().min(0).max(3_600_000).default(60_000),
  /**
   * Send and listen to wake-up hints (`LISTEN/NOTIFY` on the channel `fits_ingest_work`): idle claim loops of other
   * hosts ask for work at once instead of at their next poll. Polling stays the fallback.
   * @default true
   */
  notify: z.boolean().default(true),
});
