/**
 * Archive events: the durable, ordered log of what happened to the archive (a file archived, superseded, found
 * invalid, abandoned; a held batch released), numbered by one global sequence that readers use as their cursor.
 * Catalogs derive each event from the history transition that causes it and store both in the same transaction,
 * so no event is lost (the transition committed) or invented (it did not). Subscriptions are the persistent
 * cursors of webhook subscribers. Pure types and the one function that makes an event from a transition.
 *
 * @module
 */
import type { Level } from '../lifecycle/record.js';

/** What an event says happened. */
export const EVENT_KINDS = ['archived', 'superseded', 'invalid', 'abandoned', 'released'] as const;
export type ArchiveEventKind = (typeof EVENT_KINDS)[number];

/** One event of the archive's log. */
export interface ArchiveEvent {
  /** Global sequence number: strictly increasing in commit order; the cursor of every reader. */
  seq: number;
  kind: ArchiveEventKind;
  /** When the transition happened (epoch ms). */
  at: number;
  recordId: string | null;
  archiveId: string | null;
  instrument: string | null;
  level: Level;
  night: string | null;
  program: string | null;
  imageType: string | null;
  object: string | null;
  /** End of the proprietary period (YYYY-MM-DD), as the archived file says. */
  releaseDate: string | null;
  /** Archive ids of the raw frames a product was made from. */
  parents: string[];
  /** SHA-256 (hex) and size of the archived copy. */
  sha256: string | null;
  size: number | null;
  originalName: string | null;
  /** superseded: the record id of the replacement. */
  supersededBy?: string;
  /** invalid, abandoned: why. */
  error?: { code: string; message: string };
  /** released: who released the night's held batch, and how many products it held. */
  detail?: Record<string, string | number | boolean | null>;
}

/** An event before the catalog numbers it. */
export type NewArchiveEvent = Omit<ArchiveEvent, 'seq'>;

/** What a reader wants of the log; every given field must match. */
export interface EventFilter {
  kinds?: ArchiveEventKind[];
  /** The instrument's name as archived (the catalog's canonical spelling). */
  instrument?: string;
  level?: Level;
  program?: string;
  /** Compared without regard to case. */
  imageType?: string;
}

/** A read of the log: events with `seq > after`, oldest first. */
export interface EventQuery extends EventFilter {
  /** @default 0 (from the start) */
  after?: number;
  /** @default 1000 */
  limit?: number;
}

/** A page of the log. */
export interface EventPage {
  events: ArchiveEvent[];
  /**
   * Where the next read starts: the last event returned when the page is full, otherwise the newest event the log
   * held at the time of the read (events in between did not match the filter). Never less than `after`.
   */
  cursor: number;
}

/** A webhook subscriber and its durable cursor. */
export interface Subscription {
  /** Made by the server. */
  id: string;
  /** The site of the token that registered it. */
  site: string;
  /** SHA-256 (hex) of that token: deliveries see what it may read (null: anonymous test server). */
  tokenSha256: string | null;
  /** Where events are POSTed. */
  url: string;
  /** HMAC-SHA256 secret of the signature. */
  secret: string;
  filter: EventFilter;
  /** The last event delivered (acknowledged with a 2xx). */
  cursor: number;
  createdAt: number;
}
