/**
 * Lazy loading of the optional peer dependencies (zeromq, smtp-server, mailparser, nodemailer): a package is imported
 * when the adapter that needs it first starts, never when a module is imported, so users of the FITS core, the
 * ingestion engine, the SQLite catalog or the folder trigger install none of them. A package that does not load is a
 * typed DEPENDENCY_MISSING error naming it and the npm command that installs it. Internal to src/adapters.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';

/** An optional peer dependency, as package.json's peerDependencies declares it. */
export interface OptionalPeer {
  /** The package name, e.g. `zeromq`. */
  name: string;
  /** The version range to install, e.g. `6` (written into the npm command of the error). */
  range?: string;
  /** Who needs it, for the message, e.g. `the ZeroMQ keyword source`. */
  neededBy: string;
}

/** The npm command that installs `peer`. */
export function installCommand(peer: OptionalPeer): string {
  return `npm install ${peer.name}${peer.range ? `@${peer.range}` : ''}`;
}

/**
 * Imports the optional package `peer.name` and returns its module namespace. `importer` replaces the import (tests
 * use it to simulate a missing package).
 *
 * @throws IngestError DEPENDENCY_MISSING naming the package, who needs it and the npm command that installs it.
 */
export async function importOptional(peer: OptionalPeer, importer: () => Promise<unknown> = () => import(peer.name)): Promise<Record<string, unknown>> {
  try {
    return (await importer()) as Record<string, unknown>;
  } catch (error) {
    throw missingPeer(peer, error);
  }
}

/**
 * Imports `peer.name` and returns its function export `exportName` (a named export, or a property of the default
 * export as CommonJS packages give it).
 *
 * @throws IngestError DEPENDENCY_MISSING when the package does not load or lacks that export.
 */
export async function importFunction<T>(peer: OptionalPeer, exportName: string, importer?: () => Promise<unknown>): Promise<T> {
  const mod = await importOptional(peer, importer);
  const value = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof value !== 'function') throw missingPeer(peer, new Error(`${peer.name} has no ${exportName} export`));
  return value as T;
}

/** The DEPENDENCY_MISSING error for `peer`. */
export function missingPeer(peer: OptionalPeer, cause: unknown): IngestError {
  const command = installCommand(peer);
  return new IngestError(
    'DEPENDENCY_MISSING',
    `${peer.neededBy} needs the optional package ${peer.name}, which did not load: ${(cause as Error)?.message ?? String(cause)}`,
    {
      cause,
      context: { package: peer.name },
      hint: `run \`${command}\` in the project that uses fits-ingest (it is an optional peer dependency)`,
    },
  );
}
