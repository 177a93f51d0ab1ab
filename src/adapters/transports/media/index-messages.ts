/**
 * Save-the-Bits index messages: after each volume the media transport closes, the cross-reference of every file
 * on it (volume, copy, member, byte offset, serial, HDU sums) — the *index* part — and what a catalog needs to hold
 * the file (its catalog fields, primary header and keyword columns) — the *catalog* part — go to a remote
 * fits-ingest in one JSON message. The remote applies it to its catalog with {@link applyIndexMessage}: a file it
 * holds (same SHA-256) gets one media location per copy; a file it does not hold is restored as an ARCHIVED record
 * (history `null → ARCHIVED`, cause RESTORED_FROM_MEDIA) with those locations. Applying a message twice changes
 * nothing (locations are keyed by URI, a restored archive id is found the second time), so a sender may re-send.
 *
 * @module
 */
import { basename, join } from 'node:path';
import { z } from 'zod';
import { IngestError, toIngestError } from '../../../core/errors.js';
import type { Catalog, FileLocation } from '../../../core/ports/catalog.js';
import { addLocationTo, importArchivedInto } from '../../../core/ports/catalog-fallbacks.js';
import { rebuild, restoredRecord } from './index-volumes.js';
import { indexEntrySchema, type IndexEntry, type VolumeIndex } from './_volume-index.js';
import { MEDIA_TRANSPORT_NAME } from './write-volumes.js';
import { randomUUID } from 'node:crypto';

/** Format tag of index messages. */
export const INDEX_MESSAGE_FORMAT = 'fits-ingest-media-index/1';

const cardSchema = z.record(z.string(), z.unknown());
const memberSchema = indexEntrySchema.extend({
  /** The catalog part: the archived file's primary header (cards as the catalog stores them) and keyword columns. */
  catalog: z.object({ header: z.array(cardSchema), columns: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])) }).optional(),
});

/** The message body (JSON). */
export const indexMessageSchema = z.object({
  format: z.literal(INDEX_MESSAGE_FORMAT),
  label: z.string().min(1),
  volume: z.int().positive(),
  copies: z.int().positive(),
  createdAt: z.string(),
  firstSerial: z.int().positive(),
  lastSerial: z.int().nonnegative(),
  /** The sender's file of each copy (copy k is `paths[k-1]`). */
  paths: z.array(z.string().min(1)).min(1),
  members: z.array(memberSchema),
});
/** One index message: one closed volume. */
export type IndexMessage = z.infer<typeof indexMessageSchema>;

/** Builds the message of a closed volume from its own index (copy 1) and the sender's catalog. */
export async function buildIndexMessage(index: VolumeIndex, paths: readonly string[], catalog?: Catalog): Promise<IndexMessage> {
  const members: IndexMessage['members'] = [];
  for (const entry of index.members) {
    const file = entry.archiveId !== undefined && catalog ? await catalog.getArchived(entry.archiveId) : undefined;
    const part = file && file.sha256 === entry.sha256 ? { catalog: { header: file.header as unknown as Record<string, unknown>[], columns: file.columns } } : {};
    members.push({ ...entry, ...part });
  }
  const { label, volume, copies, createdAt, firstSerial, lastSerial } = index;
  return { format: INDEX_MESSAGE_FORMAT, label, volume, copies, createdAt, firstSerial, lastSerial, paths: [...paths], members };
}

/** Parses a message body, or throws BAD_REQUEST saying what is wrong. */
export function parseIndexMessage(body: string): IndexMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new IngestError('BAD_REQUEST', 'the media index message is not JSON', { cause: error });
  }
  const parsed = indexMessageSchema.safeParse(json);
  if (!parsed.success) throw new IngestError('BAD_REQUEST', `the media index message does not follow ${INDEX_MESSAGE_FORMAT}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Options of {@link applyIndexMessage}. */
export interface ApplyIndexOptions {
  /** Where the receiving site keeps (or will mount) the volumes: a location's URI is this directory and the volume's file name. @default the sender's paths */
  volumeRoot?: string;
  /** The clock (epoch ms). @default Date.now */
  now?: () => number;
  /** Who applied, in history entries of restored files. @default 'media-index-message' */
  actor?: string;
}

/** What {@link applyIndexMessage} did. */
export interface ApplyIndexReport {
  /** Locations recorded or confirmed (one per member copy). */
  located: number;
  /** Archive ids restored into the catalog (it did not hold them). */
  restored: string[];
  /** Members left alone, and why (another file under the archive id, no catalog part…). */
  skipped: { archiveId?: string; serial: number; reason: string }[];
}

/** The location of copy `copy` of a member, as the receiving catalog records it. */
function locationOf(message: IndexMessage, entry: IndexEntry, copy: number, root: string | undefined, verifiedAt: number): FileLocation {
  const path = message.paths[Math.min(copy, message.paths.length) - 1]!;
  const volumeFile = root === undefined ? path : join(root, basename(path));
  const medium = { volume: message.label, copy, member: entry.member, offset: entry.offset, serial: entry.serial };
  return { uri: `${volumeFile}#${entry.name}`, transport: MEDIA_TRANSPORT_NAME, verifiedAt, medium };
}

/** Applies a message to `catalog` (idempotent). */
export async function applyIndexMessage(catalog: Catalog, message: IndexMessage, options: ApplyIndexOptions = {}): Promise<ApplyIndexReport> {
  const now = (options.now ?? Date.now)();
  const verifiedAt = Number.isFinite(Date.parse(message.createdAt)) ? Date.parse(message.createdAt) : now;
  const report: ApplyIndexReport = { located: 0, restored: [], skipped: [] };
  const copies = Array.from({ length: message.copies }, (_, i) => i + 1);
  for (const entry of message.members) {
    const archiveId = entry.archiveId;
    const skip = (reason: string) => report.skipped.push({ ...(archiveId !== undefined ? { archiveId } : {}), serial: entry.serial, reason });
    if (archiveId === undefined) {
      skip('not a catalog object (no archive id)');
      continue;
    }
    const locations = copies.map((copy) => locationOf(message, entry, copy, options.volumeRoot, verifiedAt));
    try {
      const known = await catalog.getArchived(archiveId);
      if (known) {
        if (known.sha256 !== entry.sha256) {
          skip(`the catalog's ${archiveId} has SHA-256 ${known.sha256}, the member ${entry.sha256}`);
          continue;
        }
        for (const location of locations) await addLocationTo(catalog, archiveId, location);
        report.located += locations.length;
        continue;
      }
      if (!entry.catalog) {
        skip('the catalog does not hold this archive id and the message has no catalog part for it');
        continue;
      }
      const file = rebuild(entry, { header: entry.catalog.header as never, columns: entry.catalog.columns }, message.paths[0]!, randomUUID(), now);
      file.locations = locations;
      const { record, entry: history } = restoredRecord(file, now, options.actor ?? 'media-index-message', `${message.label} (index message)`);
      await importArchivedInto(catalog, record, history, file);
      report.restored.push(archiveId);
      report.located += locations.length;
    } catch (error) {
      skip(toIngestError(error, { archiveId }).message);
    }
  }
  return report;
}
