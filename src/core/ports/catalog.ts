/**
 * Catalog port: the persistent record of every file's state and history, the work queue (claims with leases),
 * and the archive's index of archived files with their sums, locations and header keywords. The catalog
 * transaction that marks a file ARCHIVED is the commit point of ingestion.
 *
 * @module
 */
import type { CardJson } from '../fits/header.js';
import type { FileRecord, HistoryEntry, Level } from '../lifecycle/record.js';
import type { StateName } from '../lifecycle/states.js';
import type { ArchiveEvent, EventPage, EventQuery, NewArchiveEvent, Subscription } from './archive-events.js';
import type { HduSums } from './transport.js';
import type { Provenance } from '../normalize/product-provenance.js';

/** A catalog column value. */
export type ColumnValue = string | number | boolean | null;

/** Column types of a keyword table (same as the instrument descriptions' `keywordTable[].type`). */
export type KeywordColumnType = 'string' | 'integer' | 'real' | 'boolean' | 'date' | 'datetime';

/** What a catalog needs of an instrument description: its name and keyword table. An `InstrumentDescription` fits. */
export interface CatalogInstrument {
  name: string;
  /** Other names of the instrument; catalogs that store descriptions find its files by them too. */
  aliases?: string[];
  keywordTable: { column: string; type: KeywordColumnType }[];
}

/** One copy of an archived file. */
export interface FileLocation {
  /** Path or URL of the copy. */
  uri: string;
  /** Transport (or medium) that holds it. */
  transport: string;
  /** When its bytes were last verified (epoch ms). */
  verifiedAt: number;
  /** Where the copy sits on removable media (a tar volume written by the media transport). */
  medium?: MediumPlacement;
}

/** A copy of an archived file as one member of one copy of a media volume. */
export interface MediumPlacement {
  /** The volume label, e.g. `FI000012`. */
  volume: string;
  /** Which duplicate copy of the volume (1…N). */
  copy: number;
  /** 1-based position of the member in the volume's tar (the volume label is member 1). */
  member: number;
  /** Byte offset of the member's data in the volume file. */
  offset: number;
  /** Serial number of the object in the unbroken media sequence. */
  serial: number;
}

/** An archived file as the catalog knows it. */
export interface ArchivedFile {
  archiveId: string;
  /** The record that archived it. */
  recordId: string;
  instrument: string;
  level: Level;
  /** Archive ids of raw parents (products). */
  parents: string[];
  /** Observation night, YYYY-MM-DD. */
  night: string;
  originalName: string;
  source: string;
  /** Size and SHA-256 (hex) of the archived copy. */
  size: number;
  sha256: string;
  /** SHA-256 of the instrument's original file. */
  sourceSha256: string;
  hdus: HduSums[];
  locations: FileLocation[];
  /** Typed values of the instrument's keyword table, by column name. */
  columns: Record<string, ColumnValue>;
  /** The full (normalized) primary header. */
  header: CardJson[];
  /** Common fields, also available as columns. */
  program?: string;
  dateObs?: string;
  imageType?: string;
  /** End of the proprietary period (YYYY-MM-DD). */
  releaseDate?: string;
  archivedAt: number;
  /** A product's provenance as its pipeline declared it (parents with roles, pipeline, parameters). */
  provenance?: Provenance;
}

/** Select records by state, source, instrument… All given fields must match. */
export interface RecordQuery {
  ids?: string[];
  states?: StateName[];
  source?: string;
  instrument?: string;
  archiveId?: string;
  sourceSha256?: string;
  /** Only records updated before this time (epoch ms), e.g. to find stuck files. */
  updatedBefore?: number;
  /** @default 1000 */
  limit?: number;
  /** Newest first. @default false */
  newestFirst?: boolean;
}

/** What the caller of {@link Catalog.insertRecord} last saw archived from the source. */
export interface InsertGuard {
  /** Id of the newest ARCHIVED record of the source the caller saw; null when it saw none. */
  lastArchived: string | null;
}

/** A comparison on a catalog column or a common field. */
export interface ColumnPredicate {
  column: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like' | 'in' | 'null' | 'not-null';
  value?: ColumnValue | ColumnValue[];
}

/** Select archived files. All given fields must match. */
export interface FileQuery {
  archiveIds?: string[];
  instrument?: string;
  program?: string;
  level?: Level;
  /** Night range, inclusive, YYYY-MM-DD. */
  nightFrom?: string;
  nightTo?: string;
  /** Predicates on the instrument's keyword columns (by column name). */
  where?: ColumnPredicate[];
  /** Archived files whose parents include this archive id. */
  parent?: string;
  sha256?: string;
  sourceSha256?: string;
  /** @default 1000 */
  limit?: number;
}

/** How many current archived files a night holds, per instrument and level (see {@link Catalog.nights}). */
export interface NightSummary {
  night: string;
  instrument: string;
  level: Level;
  files: number;
}

/** A worker holding leases (see {@link Catalog.leaseHolders}). */
export interface LeaseHolder {
  owner: string;
  /** Unfinished records it holds. */
  records: number;
  /** The latest lease end (epoch ms). */
  until: number;
}

/** A program's proprietary data opened to a site by the program's PI (or an admin). */
export interface ProgramGrant {
  /** PROGID, upper case. */
  program: string;
  /** The site (token holder) granted read access to the program's files before their release. */
  site: string;
  /** Who granted it (`pi:<site>` or `operator:<site>`). */
  grantedBy: string;
  grantedAt: number;
}

/** Claim options: hand out active work not leased by another worker. */
export interface ClaimOptions {
  /** Identifies the claiming worker. Leases held by the same owner are reclaimable (restart after a crash). */
  owner: string;
  now: number;
  /** How long the claim lasts unless renewed. */
  leaseMs: number;
  limit: number;
}

/** What a catalog can do; the runtime branches on these, never on names. */
export interface CatalogCapabilities {
  /** State changes and archive commits are atomic and durable across a crash. */
  durable: boolean;
  /** Several processes (or hosts) may share the catalog and its claims. */
  shared: boolean;
}

/** One stored version of an instrument description (see {@link Catalog.storedInstruments}). */
export interface StoredInstrument {
  /** The description's name as written. */
  name: string;
  /** 1 for the first description of this name, one more for each changed one. */
  version: number;
  /** The description as the catalog was given it (JSON). */
  description: unknown;
  /** When this version was stored (epoch ms). */
  savedAt: number;
}

/** Persistent state of ingestion and index of the archive. */
export interface Catalog {
  readonly name: string;
  readonly capabilities: CatalogCapabilities;

  /** Creates or migrates the schema. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;

  /**
   * Stores a new DETECTED record with its first history entry. A source can have one active (non-final)
   * record at a time: if one exists it is returned with `inserted: false` and nothing is stored. With `lease`, the
   * new record is claimed by its submitter at once, so another worker sharing the catalog does not take it.
   *
   * With `guard`, the check and the insert are one atomic step against every other writer (other hosts included):
   * when the source has no active record and its newest ARCHIVED record (newest first as in
   * {@link RecordQuery.newestFirst}) is not `guard.lastArchived` (null: the caller saw none), someone archived it
   * since the caller looked; nothing is stored and that record comes back as `archived`, for the caller to check
   * (the same bytes: the file is already archived) before it asks again.
   */
  insertRecord(
    record: FileRecord,
    entry: HistoryEntry,
    lease?: { owner: string; until: number },
    guard?: InsertGuard,
  ): Promise<{
    inserted: boolean;
    record: FileRecord;
    /**
     * Set (by catalogs shared between hosts) when the source already had an active record whose unexpired lease
     * another owner holds: that worker is on it, so the caller leaves it alone (its claims find it if the lease
     * ends). When the existing record's lease was free, a catalog may take it for `lease.owner` and leave this unset.
     */
    leasedTo?: string;
    /** Set when `guard` was given and a newer ARCHIVED record of the source exists: nothing was stored. */
    archived?: FileRecord;
  }>;
  getRecord(id: string): Promise<FileRecord | undefined>;
  /**
   * Stores a transition: the record (whose `version` must be exactly one more than the stored one) and its
   * history entry, atomically. Throws CONFLICT when someone else changed the record first.
   */
  updateRecord(record: FileRecord, entry?: HistoryEntry): Promise<void>;
  findRecords(query: RecordQuery): Promise<FileRecord[]>;
  /** The transitions of a record, oldest first. */
  history(recordId: string): Promise<HistoryEntry[]>;
  /** Number of records in each state. */
  counts(): Promise<Record<StateName, number>>;

  /**
   * Claims up to `limit` records that need work: active states, or FAILED with their next attempt due, and not
   * leased by another owner. Sets the lease and returns them, oldest first.
   */
  claim(options: ClaimOptions): Promise<FileRecord[]>;
  /**
   * Ends a lease (the record stays as it is). Optional: without it, `releaseLease` (core) lets the lease run out,
   * and the record is claimable again when it ends.
   */
  release?(recordId: string, owner: string): Promise<void>;
  /**
   * Optional: calls `wake` when another worker (or host) may have made work claimable (a record inserted, a lease
   * released, a record requeued), so an idle claim loop can ask at once. A hint only: it may be late, doubled or
   * lost, and claimers still poll. Returns the function that stops the calls.
   */
  onWorkHint?(wake: () => void): () => void;

  /**
   * The commit point: stores the ARCHIVED record, its history entry and the archived file's row (sums,
   * locations, keyword columns, header) in one transaction. When `supersedes` is given, that archived file's
   * record becomes SUPERSEDED in the same transaction.
   */
  commitArchived(
    record: FileRecord,
    entry: HistoryEntry,
    file: ArchivedFile,
    supersedes?: { record: FileRecord; entry: HistoryEntry },
  ): Promise<void>;
  getArchived(archiveId: string): Promise<ArchivedFile | undefined>;
  findArchived(query: FileQuery): Promise<ArchivedFile[]>;
  /** Records another verified copy of an archived file. Optional: without it, `addLocationTo` (core) is UNSUPPORTED_OPERATION. */
  addLocation?(archiveId: string, location: FileLocation): Promise<void>;
  /**
   * Moves the end of the proprietary period (`releaseDate`, YYYY-MM-DD) of every version archived under
   * `archiveId` (an admin's extension), so listings and read checks decide from the stored date alone.
   * Throws NOT_FOUND when no current archived file holds the id.
   */
  setReleaseDate(archiveId: string, releaseDate: string): Promise<void>;
  /**
   * Stores an archived file this catalog never ingested (e.g. rebuilt from media volumes after the catalog was
   * lost): the ARCHIVED record (version 1, a new id), its one history entry (from `null` to ARCHIVED, with a
   * cause such as `RESTORED_FROM_MEDIA`), and the file, in one transaction. Throws ARCHIVE_ID_CONFLICT when a
   * current archived file holds the archive id, CONFLICT when the record id exists. Optional: without it,
   * `importArchivedInto` (core) is UNSUPPORTED_OPERATION (a catalog cannot be rebuilt from media into it).
   */
  importArchived?(record: FileRecord, entry: HistoryEntry, file: ArchivedFile): Promise<void>;

  /**
   * Optional: the instrument descriptions this catalog was built with, latest version of each name (history with
   * `{ allVersions: true }`). A catalog that has it stores the descriptions given to it at `init` (a new version
   * only when one changed) and knows their keyword tables when later opened without them. Callers fall back to
   * the descriptions they load themselves when a catalog lacks this method.
   */
  storedInstruments?(options?: { allVersions?: boolean }): Promise<StoredInstrument[]>;
  /**
   * Every archived version of an archive id, oldest first: superseded ones included, each with its own locations
   * (a reingest never overwrites, so each version's bytes stay where its locations say). Optional: without it,
   * old versions cannot be listed or pruned (UNSUPPORTED_OPERATION).
   */
  archivedVersions?(archiveId: string): Promise<ArchivedFile[]>;
  /**
   * Records that an admin removed the bytes of a superseded version: stores the record's PRUNE transition and its
   * history entry, and drops the archived file's locations, in one transaction. Throws ILLEGAL_TRANSITION when
   * the record's archived file is the current one.
   */
  pruneVersion?(record: FileRecord, entry: HistoryEntry): Promise<void>;
  /**
   * Records that the copy at `uri` of the archived file stored by record `recordId` (current or superseded) was
   * read back and found intact at `verifiedAt`. Resolves to false, changing nothing, when that record has no
   * location with that URI (e.g. pruned meanwhile). Optional: without it, the scrub falls back to
   * {@link addLocation} for current files only.
   */
  markVerified?(recordId: string, uri: string, verifiedAt: number): Promise<boolean>;

  /**
   * Optional: reads the archive's event log (see {@link ArchiveEvent}). A catalog that has it stores, in the same
   * transaction as each history entry reaching ARCHIVED, SUPERSEDED, INVALID or ABANDONED, the event
   * `eventOf(record, entry, file)` makes, numbered by a sequence that increases in commit order (a reader never
   * sees event n+1 before event n). Without it, the feed and webhook subscriptions are UNSUPPORTED_OPERATION.
   */
  events?(query: EventQuery): Promise<EventPage>;
  /** Optional (with `events`): appends an event that is no state transition (a held batch released). */
  appendEvent?(event: NewArchiveEvent): Promise<ArchiveEvent>;
  /** Optional (with `events`): stores a new webhook subscription. Throws CONFLICT when its id exists. */
  addSubscription?(subscription: Subscription): Promise<void>;
  /** Optional (with `events`): every subscription, oldest first. */
  subscriptions?(): Promise<Subscription[]>;
  /** Optional (with `events`): removes a subscription; false when there was none. */
  removeSubscription?(id: string): Promise<boolean>;
  /** Optional (with `events`): moves a subscription's cursor forward to `cursor` (never back). */
  advanceSubscription?(id: string, cursor: number): Promise<void>;
  /** Optional: the nights that hold current archived files (newest first), with counts by instrument and level. */
  /**
   * Optional: who holds leases on unfinished records at `now` (a worker or host per owner), how many, and until
   * when the latest lasts. The operator monitor lists them as the hosts at work on a shared catalog.
   */
  leaseHolders?(now: number): Promise<LeaseHolder[]>;
  /**
   * Optional: the collaborators PIs granted, by program then site. Without these three methods a server cannot
   * store grants (UNSUPPORTED_OPERATION).
   */
  programGrants?(): Promise<ProgramGrant[]>;
  /** Optional: stores a grant; a grant that exists is left as it was (resolves to false). */
  grantProgram?(grant: ProgramGrant): Promise<boolean>;
  /** Optional: removes a grant; false when there was none. */
  revokeProgram?(program: string, site: string): Promise<boolean>;
  nights?(query?: { instrument?: string; nightFrom?: string; nightTo?: string }): Promise<NightSummary[]>;
}

/** The methods of {@link Catalog} that a catalog may leave out (the core falls back, see catalog-fallbacks.ts). */
export type OptionalCatalogMethod = 'release' | 'addLocation' | 'importArchived';

/** A catalog that has every method of the port, optional ones included (the catalogs this package ships). */
export type CompleteCatalog = Catalog & Required<Pick<Catalog, OptionalCatalogMethod>>;
