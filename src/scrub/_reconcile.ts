/**
 * Reconciliation of the archive storage with the catalog, without false alarms for files being ingested: the
 * storage listing is bracketed between two catalog reads (as Rucio brackets a storage dump between two catalog
 * dumps).
 *
 * - **UNCATALOGED**: a file listed in storage that neither catalog read knows, and that no record being ingested
 *   can own. The filesystem transport places a file only for a record in an active state, and the record becomes
 *   ARCHIVED in the same transaction that adds the location; the active records are read *after* the listing and
 *   *before* the second catalog read, so a listed file's record was either still active then (skipped) or already
 *   committed (in the second read).
 * - **MISSING**: a location under the root in both catalog reads that the listing does not have.
 *
 * Only FITS names are listed (`.fits`, `.fit`, `.fts`, `.fz`, optionally `.gz`); dot files and dot directories
 * (`.staging`, temp files), sidecars, manifests and files kept aside (`.corrupt-…`) are not. Internal to src/scrub.
 *
 * @module
 */
import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { toIngestError } from '../core/errors.js';
import type { Catalog } from '../core/ports/catalog.js';
import { STATES, isFinal } from '../core/lifecycle/states.js';
import { archivedAfter, versionsOf } from './_catalog-pages.js';

const FITS_NAME = /\.(fits|fit|fts|fz)(\.gz)?$/i;

/** A copy the catalog lists under the root. */
export interface CatalogCopy {
  archiveId: string;
  recordId: string;
  uri: string;
}

/** What reconciliation found. */
export interface Reconciliation {
  uncataloged: string[];
  missing: CatalogCopy[];
  /** FITS files listed in storage. */
  listed: number;
  /** Catalog copies under the root (second read). */
  cataloged: number;
}

/** Every FITS file under `root`, skipping dot entries. */
export async function listStorage(root: string, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && dir !== root) return; // removed while listed
      throw toIngestError(error, { file: dir });
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && FITS_NAME.test(entry.name)) out.push(path);
    }
  };
  await walk(root);
  return out;
}

/** Every location of every version under `root`, by URI. */
async function catalogCopies(catalog: Catalog, root: string): Promise<Map<string, CatalogCopy>> {
  const prefix = root.endsWith(sep) ? root : root + sep;
  const copies = new Map<string, CatalogCopy>();
  for await (const current of archivedAfter(catalog, '')) {
    for (const file of await versionsOf(catalog, current)) {
      for (const l of file.locations) if (l.uri.startsWith(prefix) && !l.medium) copies.set(l.uri, { archiveId: file.archiveId, recordId: file.recordId, uri: l.uri });
    }
  }
  return copies;
}

/** Hooks for tests: called between the steps, to commit a file at the worst moment. */
export interface ReconcileHooks {
  afterFirstRead?(): Promise<void>;
  afterListing?(): Promise<void>;
}

/** Lists `root` between two catalog reads and names the uncataloged files and the missing copies. */
export async function reconcile(catalog: Catalog, rootDir: string, options: { signal?: AbortSignal; hooks?: ReconcileHooks } = {}): Promise<Reconciliation> {
  const root = resolve(rootDir);
  const before = await catalogCopies(catalog, root);
  await options.hooks?.afterFirstRead?.();
  const listed = await listStorage(root, options.signal);
  await options.hooks?.afterListing?.();
  const active = await catalog.findRecords({ states: STATES.filter((s) => !isFinal(s)), limit: 1_000_000 });
  const inFlight = active.flatMap((r) => [r.archiveId, r.location].filter((v): v is string => v !== undefined && v !== ''));
  const after = await catalogCopies(catalog, root);
  const present = new Set(listed);
  const uncataloged = listed.filter((path) => !before.has(path) && !after.has(path) && !inFlight.some((id) => path.includes(id)));
  const missing = [...after.values()].filter((copy) => before.has(copy.uri) && !present.has(copy.uri));
  return { uncataloged, missing, listed: listed.length, cataloged: after.size };
}
