/**
 * Instrument descriptions a catalog keeps (versioned): every catalog stores the descriptions it is built with, so a
 * later process opened without them still knows their keyword tables, names and aliases. Internal to
 * src/adapters/catalogs; the SQLite and memory catalogs share these rules.
 *
 * @module
 */
import type { StoredInstrument } from '../../core/ports/catalog.js';
import { catalogInstrumentsSchema, keywordTables, type KeywordTables } from './_columns.js';

/** JSON with object keys sorted, so equal descriptions compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The versions to add: a description whose JSON differs from the latest stored one of its name (case-insensitive)
 * becomes the next version; an unchanged one adds nothing.
 */
export function newVersions(latest: readonly StoredInstrument[], given: readonly unknown[], now: number): StoredInstrument[] {
  const byName = new Map(latest.map((s) => [s.name.toLowerCase(), s]));
  const added: StoredInstrument[] = [];
  for (const description of given) {
    const name = (description as { name?: unknown }).name;
    if (typeof name !== 'string') continue;
    const json = stableJson(description);
    const last = byName.get(name.toLowerCase());
    if (last && stableJson(last.description) === json) continue;
    const entry: StoredInstrument = { name, version: (last?.version ?? 0) + 1, description: JSON.parse(json) as unknown, savedAt: now };
    byName.set(name.toLowerCase(), entry);
    added.push(entry);
  }
  return added;
}

/**
 * Adds to `tables` the keyword tables of stored descriptions the catalog was not given (given ones win). A stored
 * description without a usable keyword table is skipped.
 */
export function addStoredTables(tables: KeywordTables, stored: readonly StoredInstrument[]): void {
  for (const s of stored) {
    if (tables.has(s.name.toLowerCase())) continue;
    const parsed = catalogInstrumentsSchema.safeParse([s.description]);
    if (!parsed.success) continue;
    for (const [key, table] of keywordTables(parsed.data)) tables.set(key, table);
  }
}

/**
 * Instrument names by alias and name (lower case), from stored descriptions: `findArchived({ instrument })` accepts
 * an alias (`Kast Spectrograph`) for the name it was archived under (`KAST`).
 */
export function instrumentNames(stored: readonly StoredInstrument[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of stored) {
    const aliases = (s.description as { aliases?: unknown }).aliases;
    if (Array.isArray(aliases)) for (const a of aliases) if (typeof a === 'string') names.set(a.trim().toLowerCase(), s.name);
  }
  for (const s of stored) names.set(s.name.toLowerCase(), s.name); // a name beats another instrument's alias
  return names;
}

/** The query with its instrument alias (or differently cased name) replaced by the stored name. */
export function withInstrumentName<Q extends { instrument?: string }>(query: Q, names: ReadonlyMap<string, string>): Q {
  if (query.instrument === undefined) return query;
  const name = names.get(query.instrument.trim().toLowerCase());
  return name === undefined || name === query.instrument ? query : { ...query, instrument: name };
}
