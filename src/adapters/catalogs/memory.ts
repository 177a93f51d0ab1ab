/**
 * In-memory catalog: for tests, the simulator, and embedding where nothing must survive the process. Every record
 * and file is deep-copied on the way in and out, so callers never share objects with the catalog.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { STATES, isFinal, type StateName } from '../../core/lifecycle/states.js';
import { eventOf, matchesEvent } from '../../core/ports/archive-events-of.js';
import type { ArchiveEvent, NewArchiveEvent, Subscription } from '../../core/ports/archive-events.js';
import type { ArchivedFile, CompleteCatalog, ClaimOptions, FileLocation, FileQuery, LeaseHolder, NightSummary, ProgramGrant, RecordQuery, StoredInstrument } from '../../core/ports/catalog.js';
import { parseOptions } from '../_shared/options.js';
import {
  activeSourceConflict,
  archiveIdTaken,
  archivedNotFound,
  checkCommit,
  checkImport,
  checkRecord,
  limitOf,
  recordIdTaken,
  recordNotFound,
  versionConflict,
} from './_checks.js';
import { checkClaim, leaseAllows, needsWork, type Lease } from './_claims.js';
import { ACTIVE_STATES_V1 } from './_sqlite-schema.js';
import { catalogInstrumentsSchema, keywordTables } from './_columns.js';
import { addStoredTables, instrumentNames, newVersions, withInstrumentName } from './_instruments.js';
import { matchesPredicate, predicateValue, resolvePredicates } from './_predicates.js';

/** The name of the in-memory catalog. */
export const MEMORY_CATALOG_NAME = 'memory';

const memoryCatalogOptionsSchema = z.strictObject({
  /**
   * Instrument descriptions (name and keywordTable) whose keyword columns are checked at commit and can be queried
   * with `findArchived({ instrument, where })`. Files of other instruments are stored but not queryable by column.
   * @default []
   */
  instruments: catalogInstrumentsSchema.default([]),
});

/** Options of {@link createMemoryCatalog}. */
export type MemoryCatalogOptions = z.input<typeof memoryCatalogOptionsSchema>;

interface StoredRecord {
  record: FileRecord;
  history: HistoryEntry[];
  lease?: Lease;
}

interface StoredFile {
  file: ArchivedFile;
  current: boolean;
}

const copy = <T>(value: T): T => structuredClone(value);

/** Adds a copy, or refreshes the one with the same URI in place (as the SQLite catalog's unique (file, uri)). */
function mergeLocation(locations: FileLocation[], location: FileLocation): void {
  const at = locations.findIndex((l) => l.uri === location.uri);
  if (at >= 0) locations[at] = copy(location);
  else locations.push(copy(location));
}
const byAge = (a: FileRecord, b: FileRecord): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Creates an in-memory catalog. Capabilities: not durable, not shared between processes. */
export function createMemoryCatalog(options: MemoryCatalogOptions = {}): CompleteCatalog {
  const tables = keywordTables(parseOptions(memoryCatalogOptionsSchema, options, 'memory catalog').instruments);
  /** Every stored version of every description, oldest first. */
  const descriptions: StoredInstrument[] = [];
  const latestDescriptions = (): StoredInstrument[] => {
    const latest = new Map<string, StoredInstrument>();
    for (const d of descriptions) latest.set(d.name.toLowerCase(), d);
    return [...latest.values()].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  };
  const records = new Map<string, StoredRecord>();
  const activeBySource = new Map<string, string>();
  /** Archived files by record id; superseded ones stay with `current: false`. */
  const files = new Map<string, StoredFile>();
  const currentByArchiveId = new Map<string, string>();
  /** The event log, oldest first, and the subscriptions by id. */
  const log: ArchiveEvent[] = [];
  const subscriptions = new Map<string, Subscription>();
  const grants = new Map<string, ProgramGrant>();
  let open = false;

  function append(event: NewArchiveEvent): ArchiveEvent {
    const stored = { seq: (log.at(-1)?.seq ?? 0) + 1, ...copy(event) };
    log.push(stored);
    return copy(stored);
  }

  function addEvent(record: FileRecord, entry: HistoryEntry | undefined, file?: ArchivedFile): void {
    const event = entry && eventOf(record, entry, file);
    if (event) append(event);
  }

  function ready(): void {
    if (!open) throw new IngestError('CATALOG_NOT_OPEN', 'the memory catalog is not open');
  }

  function stored(id: string): StoredRecord {
    const found = records.get(id);
    if (!found) throw recordNotFound(id);
    return found;
  }

  /** Throws unless `record` may replace what is stored (version and one-active-record-per-source). */
  function checkUpdate(record: FileRecord): StoredRecord {
    const current = stored(record.id);
    if (current.record.version !== record.version - 1) throw versionConflict(record, current.record.version);
    const holder = activeBySource.get(record.source);
    if (!isFinal(record.state) && holder !== undefined && holder !== record.id) throw activeSourceConflict(record);
    return current;
  }

  function put(target: StoredRecord, record: FileRecord, entry: HistoryEntry | undefined): void {
    if (activeBySource.get(target.record.source) === record.id) activeBySource.delete(target.record.source);
    if (!isFinal(record.state)) activeBySource.set(record.source, record.id);
    target.record = copy(record);
    if (entry) target.history.push(copy(entry));
  }

  return {
    name: MEMORY_CATALOG_NAME,
    capabilities: { durable: false, shared: false },

    async init() {
      descriptions.push(...newVersions(latestDescriptions(), options.instruments ?? [], Date.now()));
      addStoredTables(tables, latestDescriptions());
      open = true;
    },

    async storedInstruments(query = {}) {
      ready();
      return copy(query.allVersions ? [...descriptions].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : a.version - b.version)) : latestDescriptions());
    },
    async close() {
      open = false;
    },

    async insertRecord(record, entry, lease, guard) {
      ready();
      checkRecord(record, entry);
      const active = activeBySource.get(record.source);
      if (active !== undefined) return { inserted: false, record: copy(stored(active).record) };
      if (guard) {
        // One synchronous step: nothing can archive the source between this check and the insert below.
        const newest = [...records.values()]
          .map((r) => r.record)
          .filter((r) => r.source === record.source && r.state === 'ARCHIVED')
          .sort(byAge)
          .at(-1);
        if (newest && newest.id !== guard.lastArchived) return { inserted: false, record: copy(newest), archived: copy(newest) };
      }
      if (records.has(record.id)) {
        throw recordIdTaken(record);
      }
      const target: StoredRecord = { record, history: [] };
      if (lease) target.lease = { owner: lease.owner, until: lease.until };
      records.set(record.id, target);
      put(target, record, entry);
      return { inserted: true, record: copy(record) };
    },

    async getRecord(id) {
      ready();
      const found = records.get(id);
      return found && copy(found.record);
    },

    async updateRecord(record, entry) {
      ready();
      checkRecord(record, entry);
      put(checkUpdate(record), record, entry);
      addEvent(record, entry);
    },

    async findRecords(query: RecordQuery) {
      ready();
      const limit = limitOf(query.limit);
      const ids = query.ids && new Set(query.ids);
      const states = query.states && new Set<StateName>(query.states);
      const found = [...records.values()]
        .map((s) => s.record)
        .filter(
          (r) =>
            (!ids || ids.has(r.id)) &&
            (!states || states.has(r.state)) &&
            (query.source === undefined || r.source === query.source) &&
            (query.instrument === undefined || r.instrument === query.instrument) &&
            (query.archiveId === undefined || r.archiveId === query.archiveId) &&
            (query.sourceSha256 === undefined || r.sourceSha256 === query.sourceSha256) &&
            (query.updatedBefore === undefined || r.updatedAt < query.updatedBefore),
        )
        .sort(byAge);
      if (query.newestFirst) found.reverse();
      return found.slice(0, limit).map(copy);
    },

    async history(recordId) {
      ready();
      return copy(records.get(recordId)?.history ?? []);
    },

    async counts() {
      ready();
      const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<StateName, number>;
      for (const { record } of records.values()) counts[record.state]++;
      return counts;
    },

    async claim(options: ClaimOptions) {
      ready();
      checkClaim(options);
      const { owner, now, leaseMs, limit } = options;
      const claimed = [...records.values()]
        .filter((s) => needsWork(s.record.state, s.record.nextAttemptAt, now) && leaseAllows(s.lease, owner, now))
        .sort((a, b) => byAge(a.record, b.record))
        .slice(0, limit);
      for (const s of claimed) s.lease = { owner, until: now + leaseMs };
      return claimed.map((s) => copy(s.record));
    },

    async release(recordId, owner) {
      ready();
      const target = stored(recordId);
      if (target.lease?.owner === owner) delete target.lease;
    },

    async commitArchived(record, entry, file, supersedes) {
      ready();
      checkCommit(record, entry, file, supersedes, tables);
      // Check everything first, then change: nothing awaits in between, so the commit is all or nothing.
      const target = checkUpdate(record);
      const old = supersedes && checkUpdate(supersedes.record);
      const oldFile = supersedes && files.get(supersedes.record.id);
      if (supersedes && !oldFile?.current) {
        throw new IngestError('NOT_FOUND', `record ${supersedes.record.id} has no current archived file to supersede`, {
          context: { recordId: supersedes.record.id },
        });
      }
      const holder = currentByArchiveId.get(file.archiveId);
      if (holder !== undefined && holder !== supersedes?.record.id) throw archiveIdTaken(file, holder);
      if (files.has(record.id)) throw versionConflict(record, target.record.version);

      put(target, record, entry);
      if (supersedes && old && oldFile) {
        put(old, supersedes.record, supersedes.entry);
        oldFile.current = false;
        currentByArchiveId.delete(oldFile.file.archiveId);
      }
      const stored = copy(file);
      stored.locations = [];
      for (const location of file.locations) mergeLocation(stored.locations, location);
      files.set(record.id, { file: stored, current: true });
      currentByArchiveId.set(file.archiveId, record.id);
      if (supersedes) addEvent(supersedes.record, supersedes.entry, file);
      addEvent(record, entry, file);
    },

    async archivedVersions(archiveId) {
      ready();
      return [...files.values()]
        .filter((s) => s.file.archiveId === archiveId)
        .sort((a, b) => a.file.archivedAt - b.file.archivedAt)
        .map((s) => copy(s.file));
    },

    async pruneVersion(record, entry) {
      ready();
      checkRecord(record, entry);
      const held = files.get(record.id);
      if (!held) throw new IngestError('NOT_FOUND', `record ${record.id} archived no file`, { context: { recordId: record.id } });
      if (held.current) throw new IngestError('ILLEGAL_TRANSITION', `record ${record.id} holds the current version; only superseded versions can be pruned`, { context: { recordId: record.id } });
      put(checkUpdate(record), record, entry);
      held.file.locations = [];
    },

    async getArchived(archiveId) {
      ready();
      const recordId = currentByArchiveId.get(archiveId);
      return recordId === undefined ? undefined : copy(files.get(recordId)!.file);
    },

    async findArchived(asked: FileQuery) {
      ready();
      const query = withInstrumentName(asked, instrumentNames(latestDescriptions()));
      const limit = limitOf(query.limit);
      const predicates = resolvePredicates(query, tables);
      const ids = query.archiveIds && new Set(query.archiveIds);
      const found = [...files.values()]
        .filter((s) => s.current)
        .map((s) => s.file)
        .filter(
          (f) =>
            (!ids || ids.has(f.archiveId)) &&
            (query.instrument === undefined || f.instrument === query.instrument) &&
            (query.program === undefined || f.program === query.program) &&
            (query.level === undefined || f.level === query.level) &&
            (query.nightFrom === undefined || f.night >= query.nightFrom) &&
            (query.nightTo === undefined || f.night <= query.nightTo) &&
            (query.parent === undefined || f.parents.includes(query.parent)) &&
            (query.sha256 === undefined || f.sha256 === query.sha256) &&
            (query.sourceSha256 === undefined || f.sourceSha256 === query.sourceSha256) &&
            predicates.every((p) => matchesPredicate(p, predicateValue(p, f))),
        )
        .sort((a, b) => (a.archiveId < b.archiveId ? -1 : a.archiveId > b.archiveId ? 1 : 0));
      return found.slice(0, limit).map(copy);
    },

    async importArchived(record, entry, file) {
      ready();
      checkImport(record, entry, file, tables);
      if (records.has(record.id)) throw recordIdTaken(record);
      const holder = currentByArchiveId.get(file.archiveId);
      if (holder !== undefined) throw archiveIdTaken(file, holder);
      const target: StoredRecord = { record, history: [] };
      records.set(record.id, target);
      put(target, record, entry);
      const stored = copy(file);
      stored.locations = [];
      for (const location of file.locations) mergeLocation(stored.locations, location);
      files.set(record.id, { file: stored, current: true });
      currentByArchiveId.set(file.archiveId, record.id);
      addEvent(record, entry, file);
    },

    async addLocation(archiveId, location: FileLocation) {
      ready();
      const recordId = currentByArchiveId.get(archiveId);
      if (recordId === undefined) throw archivedNotFound(archiveId);
      mergeLocation(files.get(recordId)!.file.locations, location);
    },

    async setReleaseDate(archiveId, releaseDate) {
      ready();
      if (!currentByArchiveId.has(archiveId)) throw archivedNotFound(archiveId);
      for (const stored of files.values()) if (stored.file.archiveId === archiveId) stored.file.releaseDate = releaseDate;
    },

    async markVerified(recordId, uri, verifiedAt) {
      ready();
      const location = files.get(recordId)?.file.locations.find((l) => l.uri === uri);
      if (location) location.verifiedAt = verifiedAt;
      return location !== undefined;
    },

    async nights(asked = {}) {
      ready();
      const query = withInstrumentName(asked, instrumentNames(latestDescriptions()));
      const counts = new Map<string, NightSummary>();
      for (const { file, current } of files.values()) {
        if (!current || (query.instrument !== undefined && file.instrument !== query.instrument)) continue;
        if ((query.nightFrom !== undefined && file.night < query.nightFrom) || (query.nightTo !== undefined && file.night > query.nightTo)) continue;
        const key = `${file.night}\u0000${file.instrument}\u0000${file.level}`;
        const found = counts.get(key) ?? { night: file.night, instrument: file.instrument, level: file.level, files: 0 };
        found.files++;
        counts.set(key, found);
      }
      const text = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
      return [...counts.values()].sort((a, b) => text(b.night, a.night) || text(a.instrument, b.instrument) || a.level - b.level);
    },

    async events(query) {
      ready();
      const after = query.after ?? 0;
      const limit = limitOf(query.limit);
      const events = log.filter((e) => e.seq > after && matchesEvent(e, query)).slice(0, limit).map(copy);
      const full = limit === 0 || events.length >= limit;
      return { events, cursor: Math.max(after, limit === 0 ? after : full ? events.at(-1)!.seq : (log.at(-1)?.seq ?? 0)) };
    },

    async appendEvent(event) {
      ready();
      return append(event);
    },

    async leaseHolders(now) {
      ready();
      const holders = new Map<string, LeaseHolder>();
      for (const { record, lease } of records.values()) {
        if (!lease || lease.until <= now || !(ACTIVE_STATES_V1 as readonly string[]).includes(record.state)) continue;
        const h = holders.get(lease.owner) ?? { owner: lease.owner, records: 0, until: 0 };
        h.records++;
        h.until = Math.max(h.until, lease.until);
        holders.set(lease.owner, h);
      }
      return [...holders.values()].sort((a, b) => (a.owner < b.owner ? -1 : 1));
    },
    async programGrants() {
      ready();
      return [...grants.values()].sort((a, b) => (a.program < b.program ? -1 : a.program > b.program ? 1 : a.site < b.site ? -1 : 1)).map((g) => ({ ...g }));
    },
    async grantProgram(grant) {
      ready();
      const key = `${grant.program}\u0000${grant.site}`;
      if (grants.has(key)) return false;
      grants.set(key, { ...grant });
      return true;
    },
    async revokeProgram(program, site) {
      ready();
      return grants.delete(`${program}\u0000${site}`);
    },

    async addSubscription(subscription) {
      ready();
      if (subscriptions.has(subscription.id)) throw new IngestError('CONFLICT', `subscription ${subscription.id} exists`, { context: { subscription: subscription.id } });
      subscriptions.set(subscription.id, copy(subscription));
    },

    async subscriptions() {
      ready();
      return [...subscriptions.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map(copy);
    },

    async removeSubscription(id) {
      ready();
      return subscriptions.delete(id);
    },

    async advanceSubscription(id, cursor) {
      ready();
      const found = subscriptions.get(id);
      if (!found) throw new IngestError('NOT_FOUND', `no subscription ${id}`, { context: { subscription: id } });
      found.cursor = Math.max(found.cursor, cursor);
    },
  };
}
