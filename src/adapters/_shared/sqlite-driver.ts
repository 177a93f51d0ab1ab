/**
 * Loading better-sqlite3 (a native addon, imported lazily and only here) and turning its failures into
 * IngestErrors: a missing or mis-built addon says how to fix it, SQLITE_BUSY is transient, and so on.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { IngestError, isIngestError, toIngestError, type ErrorContext } from '../../core/errors.js';

/** An open database connection. */
export type Db = BetterSqlite3.Database;

/** How to open the database file. */
export interface OpenOptions {
  path: string;
  busyTimeoutMs: number;
  /** Path of a better_sqlite3.node built elsewhere (better-sqlite3's own `nativeBinding` option). */
  nativeBinding?: string | undefined;
}

type DriverConstructor = new (path: string, options: BetterSqlite3.Options) => Db;

async function loadDriver(): Promise<DriverConstructor> {
  try {
    const mod = (await import('better-sqlite3')) as { default: DriverConstructor };
    return mod.default;
  } catch (error) {
    throw new IngestError('DEPENDENCY_MISSING', `the SQLite catalog needs the package better-sqlite3, which did not load`, {
      cause: error,
      context: { package: 'better-sqlite3' },
      hint: 'run `npm install better-sqlite3` (version 12) in the project that uses fits-ingest',
    });
  }
}

const isSqliteError = (error: unknown): error is Error & { code: string } => {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('SQLITE_');
};

/**
 * Opens the database file. better-sqlite3 loads its native addon on the first open, so an addon built for another
 * Node.js version (or not built at all) fails here, and becomes DEPENDENCY_MISSING telling to rebuild it.
 */
export async function openDatabase(options: OpenOptions): Promise<Db> {
  const Driver = await loadDriver();
  if (!existsSync(dirname(options.path))) {
    throw new IngestError('INVALID_OPTIONS', `the directory of the catalog file does not exist: ${dirname(options.path)}`, {
      context: { field: 'path', file: options.path },
      hint: 'create the directory first, or choose another path',
    });
  }
  try {
    const settings: BetterSqlite3.Options = { timeout: options.busyTimeoutMs };
    if (options.nativeBinding !== undefined) settings.nativeBinding = options.nativeBinding;
    return new Driver(options.path, settings);
  } catch (error) {
    if (isSqliteError(error)) throw fromSqliteError(error, { file: options.path });
    const message = error instanceof Error ? error.message : String(error);
    throw new IngestError('DEPENDENCY_MISSING', `the native addon of better-sqlite3 failed to load: ${message}`, {
      cause: error,
      context: { package: 'better-sqlite3', node: process.versions.node, abi: process.versions.modules },
      hint: 'run `npm rebuild better-sqlite3` with the Node.js that runs fits-ingest (it must match the addon\'s ABI)',
    });
  }
}

/**
 * Maps an error thrown by better-sqlite3 to an IngestError: busy/locked → CATALOG_BUSY (transient), disk and I/O
 * failures → CATALOG_FULL / CATALOG_UNWRITABLE / IO_ERROR (transient), a damaged file → CATALOG_UNUSABLE; IngestErrors pass through.
 */
export function fromSqliteError(error: unknown, context: ErrorContext = {}): IngestError {
  if (isIngestError(error)) return error;
  if (!isSqliteError(error)) return toIngestError(error, context);
  const code = error.code;
  const options = { cause: error, context: { ...context, sqlite: code } };
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return new IngestError('CATALOG_BUSY', `the catalog is locked by another connection (${code}): ${error.message}`, options);
  }
  if (/^SQLITE_FULL/.test(code) || (/^SQLITE_IOERR/.test(code) && /disk is full|no space/i.test(error.message))) {
    return new IngestError('CATALOG_FULL', `the disk holding the catalog is full (${code}): ${error.message}`, options);
  }
  if (/^SQLITE_(CANTOPEN|READONLY|PERM)/.test(code)) {
    return new IngestError('CATALOG_UNWRITABLE', `the catalog file cannot be written (${code}): ${error.message}`, options);
  }
  if (/^SQLITE_(IOERR|NOLFS|PROTOCOL)/.test(code)) {
    return new IngestError('IO_ERROR', `the catalog file could not be read or written (${code}): ${error.message}`, options);
  }
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return new IngestError('CATALOG_UNUSABLE', `the catalog file is damaged or not a database (${code}): ${error.message}`, options);
  }
  return new IngestError('INTERNAL', `SQLite failed (${code}): ${error.message}`, options);
}

/** True for a unique-constraint error on `column` (`table.column`, as SQLite names it in the message). */
export function violatesUnique(error: unknown, column: string): boolean {
  return isSqliteError(error) && /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(error.code) && error.message.endsWith(column);
}
