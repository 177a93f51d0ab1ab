/**
 * Loading the `pg` driver (an optional peer dependency, imported lazily and only here), making its pool, and
 * turning its failures into IngestErrors: a lost or refused connection is CATALOG_UNREACHABLE (transient, the next
 * call uses a new connection), a serialization failure or lock timeout CATALOG_BUSY, a full disk CATALOG_FULL.
 * Connection strings are redacted wherever they are shown. Internal to src/adapters/catalogs.
 *
 * @module
 */
import type Pg from 'pg';
import { IngestError, isIngestError, toIngestError, type ErrorContext } from '../../core/errors.js';
import { importOptional } from '../_shared/import-optional.js';
import { redact } from '../_shared/redact.js';

/** The pool type of `pg`. */
export type Pool = Pg.Pool;
/** One connection of the pool. */
export type Client = Pg.PoolClient;

const PG_PEER = { name: 'pg', range: '8', neededBy: 'the PostgreSQL catalog' };

/** OIDs whose text form we parse to numbers: int8 (counts, sizes, epoch ms). */
const INT8_OID = 20;


/** How to reach the server. */
export interface PoolSettings {
  connectionString?: string | undefined;
  maxConnections: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName: string;
}

async function loadPg(): Promise<typeof Pg> {
  const mod = await importOptional(PG_PEER);
  const pg = (mod.default ?? mod) as typeof Pg;
  if (typeof pg.Pool !== 'function') throw new IngestError('DEPENDENCY_MISSING', 'the package pg has no Pool export', { context: { package: 'pg' } });
  return pg;
}

function clientConfig(pg: typeof Pg, settings: PoolSettings): Pg.ClientConfig {
  const config: Pg.ClientConfig = {
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    application_name: settings.applicationName,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  };
  if (settings.connectionString !== undefined) config.connectionString = settings.connectionString;
  return config;
}

/**
 * Loads `pg` and makes a pool. Idle connections the server drops (restart, pg_terminate_backend) are removed by the
 * pool; their error is ignored here because the next query opens a new connection.
 *
 * @throws IngestError DEPENDENCY_MISSING naming `pg` when the package does not load
 */
export async function createPool(settings: PoolSettings): Promise<Pool> {
  const pg = await loadPg();
  const pool = new pg.Pool({ ...clientConfig(pg, settings), max: settings.maxConnections });
  pool.on('error', () => {
    // An idle connection died; the pool has dropped it and the next checkout connects again.
  });
  return pool;
}

/** One connection outside the pool (the LISTEN session), named `<applicationName>-listen`; not yet connected. */
export async function createClient(settings: PoolSettings): Promise<Pg.Client> {
  const pg = await loadPg();
  return new pg.Client({ ...clientConfig(pg, settings), application_name: `${settings.applicationName}-listen`.slice(0, 63) });
}

interface PgError extends Error {
  code?: string;
  constraint?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** True for an error meaning the connection is gone (the connection must not be reused). */
export function isConnectionError(error: unknown): boolean {
  const e = error as PgError | null;
  if (!(e instanceof Error)) return false;
  const code = e.code ?? '';
  return (
    CONNECTION_CODES.has(code) ||
    /^08/.test(code) || // connection_exception
    /^57P0[123]/.test(code) || // admin_shutdown, crash_shutdown, cannot_connect_now
    /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable/i.test(e.message)
  );
}

/** Maps an error of `pg` to an IngestError (IngestErrors pass through), with passwords redacted from messages. */
export function fromPgError(error: unknown, context: ErrorContext = {}): IngestError {
  if (isIngestError(error)) return error;
  const e = error as PgError;
  if (!(e instanceof Error)) return toIngestError(error, context);
  const code = e.code ?? '';
  const message = redact(e.message);
  const options = { cause: error, context: { ...context, ...(code ? { postgres: code } : {}) } };
  if (isConnectionError(e)) {
    return new IngestError('CATALOG_UNREACHABLE', `the PostgreSQL catalog server is unreachable or dropped the connection (${code || 'connection'}): ${message}`, options);
  }
  if (/^(40001|40P01|55P03|57014)$/.test(code)) {
    return new IngestError('CATALOG_BUSY', `the catalog is busy with other connections (${code}): ${message}`, options);
  }
  if (code === '53100') return new IngestError('CATALOG_FULL', `the disk of the catalog server is full (${code}): ${message}`, options);
  if (/^(25006|42501|53200|53300)$/.test(code)) {
    return new IngestError('CATALOG_UNWRITABLE', `the catalog cannot be written (${code}): ${message}`, options);
  }
  if (/^(28|3D)/.test(code)) {
    return new IngestError('CATALOG_UNUSABLE', `the catalog server refused the login or the database (${code}): ${message}`, {
      ...options,
      hint: 'check the user, password and database name of the connection string (or the PGUSER/PGPASSWORD/PGDATABASE variables)',
    });
  }
  return new IngestError('INTERNAL', `PostgreSQL failed${code ? ` (${code})` : ''}: ${message}`, options);
}

/** True for a unique violation of the named constraint or index. */
export function violatesUnique(error: unknown, constraint: string): boolean {
  const e = error as PgError | null;
  return e instanceof Error && e.code === '23505' && e.constraint === constraint;
}
