/**
 * Turning command-line options into ports: catalog specs (`sqlite:FILE`, `postgres://…`, `memory:`), instrument descriptions
 * (the shipped ones plus `--instruments` files), and the archive's filesystem transport.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IngestError } from '../core/errors.js';
import type { Catalog } from '../core/ports/catalog.js';
import { createMemoryCatalog } from '../adapters/catalogs/memory.js';
import { createSqliteCatalog } from '../adapters/catalogs/sqlite.js';
import { createPostgresCatalog } from '../adapters/catalogs/postgres.js';
import { redact } from '../adapters/_shared/redact.js';
import { builtinInstrument, builtinInstruments } from '../instruments/builtin/index.js';
import { instrumentByName } from '../core/instruments/find-instrument.js';
import { loadInstrumentDirectory, loadInstrumentFile } from '../instruments/load.js';
import { parseInstrument } from '../core/instruments/parse-instrument.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';
import { statSync } from 'node:fs';

/** Opens the catalog a `--catalog` spec names; `leaseMs` bounds the claims of a PostgreSQL catalog. */
export function openCatalog(spec: string, instruments: readonly InstrumentDescription[], shared: { leaseMs?: number } = {}): Catalog {
  const colon = spec.indexOf(':');
  const scheme = colon < 0 ? '' : spec.slice(0, colon);
  const rest = colon < 0 ? spec : spec.slice(colon + 1);
  if (scheme === 'sqlite' && rest !== '') {
    mkdirSync(resolve(rest, '..'), { recursive: true });
    return createSqliteCatalog({ path: resolve(rest), instruments: [...instruments] });
  }
  if (scheme === 'memory') return createMemoryCatalog();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    // `postgres:` alone: the server named by the PG* environment variables (PGHOST, PGUSER, PGPASSWORD, PGDATABASE…).
    const connectionString = rest === '' ? undefined : spec;
    return createPostgresCatalog({ ...(connectionString ? { connectionString } : {}), instruments: [...instruments], ...shared });
  }
  throw new IngestError('INVALID_OPTIONS', `--catalog ${JSON.stringify(redact(spec))}: expected sqlite:FILE, postgres://USER@HOST/DATABASE, postgres: (PG* variables) or memory:`, {
    context: { field: 'catalog' },
  });
}

/** The default catalog of an archive directory. */
export function defaultCatalogSpec(archive: string): string {
  return `sqlite:${join(resolve(archive), 'catalog.sqlite')}`;
}

/** The shipped descriptions plus the files or directories given with --instruments (those take precedence). */
export async function loadInstruments(paths: readonly string[] = []): Promise<InstrumentDescription[]> {
  const extra: InstrumentDescription[] = [];
  for (const path of paths) {
    const isDir = statSync(path, { throwIfNoEntry: false })?.isDirectory();
    if (isDir) extra.push(...(await loadInstrumentDirectory(path)));
    else extra.push(await loadInstrumentFile(path));
  }
  const names = new Set(extra.map((d) => d.name.toUpperCase()));
  return [...extra, ...builtinInstruments().filter((d) => !names.has(d.name.toUpperCase()) && d.name !== 'generic')];
}

/** The description named (or aliased) by --instrument, or the generic one for `generic`. */
export function pickInstrument(instruments: readonly InstrumentDescription[], name: string | undefined): InstrumentDescription | undefined {
  if (name === undefined) return undefined;
  if (name.toLowerCase() === 'generic') return builtinInstrument('generic');
  const found = instrumentByName(instruments, name);
  if (!found) {
    throw new IngestError('INVALID_OPTIONS', `--instrument ${name}: no such instrument (known: ${instruments.map((d) => d.name).join(', ')}, generic)`, {
      context: { field: 'instrument' },
    });
  }
  return found;
}

/**
 * `given` plus the descriptions stored in the catalog that `given` lacks (by name): what a command knows of the
 * instruments without `--instruments`. Stored descriptions this version cannot read are skipped (their keyword
 * columns still query: the catalog knows them itself).
 */
export async function catalogInstruments(catalog: Catalog, given: readonly InstrumentDescription[]): Promise<InstrumentDescription[]> {
  const names = new Set(given.map((d) => d.name.toLowerCase()));
  const out = [...given];
  for (const stored of (await catalog.storedInstruments?.()) ?? []) {
    if (names.has(stored.name.toLowerCase())) continue;
    try {
      out.push(parseInstrument(stored.description, `catalog (${stored.name} version ${stored.version})`));
    } catch {
      // stored by another fits-ingest version
    }
  }
  return out;
}
