/**
 * Proprietary periods of archived files: what decides who may read a record (its instrument, program and
 * release date, an admin's extension taking precedence over the date computed at archiving), the periodic
 * check that records each release in the file's history, and an admin's extension. Internal to
 * src/adapters/http; the permission itself is {@link mayRead}.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import { transition } from '../../core/lifecycle/transition.js';
import type { ArchivedFile, Catalog } from '../../core/ports/catalog.js';
import { isReleased, mayRead, type Principal, type ReadableFile } from './_auth.js';

/** The UT date (YYYY-MM-DD) of an instant. */
export const utDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The end of a record's proprietary period: an admin's extension, else the date set when it was archived. */
export function releaseDateOf(record: FileRecord | undefined, archived: ArchivedFile | undefined): string | undefined {
  const extended = record?.metadata['releaseDate'];
  return typeof extended === 'string' ? extended : archived?.releaseDate;
}

/**
 * What {@link mayRead} needs about a record. Program and release date are known once a file is archived; a file
 * not archived (in progress, refused) has neither, so only tokens of every program (and admins) see it.
 */
export async function readableOf(catalog: Catalog, record: FileRecord, archived?: ArchivedFile): Promise<ReadableFile> {
  const file =
    archived ?? (record.archiveId && (record.state === 'ARCHIVED' || record.state === 'SUPERSEDED') ? await catalog.getArchived(record.archiveId) : undefined);
  const same = file && (file.recordId === record.id || record.state === 'SUPERSEDED') ? file : undefined;
  return { instrument: record.instrument ?? same?.instrument, program: same?.program ?? null, releaseDate: releaseDateOf(record, same) ?? null };
}

/** One release recorded by {@link releaseDue}. */
export interface Release {
  record: FileRecord;
  file: ArchivedFile;
}

/**
 * Records a RELEASE in the history of every archived file whose proprietary period ended by `now` and whose
 * release is not yet recorded. Idempotent (a released file is skipped; a record another process changed first
 * is left for the next run).
 */
export async function releaseDue(catalog: Catalog, now: number, actor = 'embargo'): Promise<Release[]> {
  const today = utDate(now);
  const due = await catalog.findArchived({ where: [{ column: 'releaseDate', op: '<=', value: today }], limit: 1_000_000 });
  const released: Release[] = [];
  for (const file of due) {
    const record = await catalog.getRecord(file.recordId);
    if (!record || record.state !== 'ARCHIVED' || record.metadata['released'] !== undefined) continue;
    const releaseDate = releaseDateOf(record, file)!;
    if (!isReleased(releaseDate, now)) continue;
    const result = transition(record, { type: 'RELEASE', releaseDate, actor }, now);
    try {
      await catalog.updateRecord(result.record, result.entry);
      released.push({ record: result.record, file });
    } catch (error) {
      if (!(error instanceof IngestError && error.code === 'CONFLICT')) throw error;
    }
  }
  return released;
}

/**
 * Moves the end of the proprietary period of the file archived under `archiveId` to `until` (YYYY-MM-DD),
 * recorded in its history with `actor` (the file is proprietary again if it was released).
 *
 * @throws IngestError NOT_FOUND (nothing archived under the id), BAD_REQUEST (not a date)
 */
export async function extendProprietary(catalog: Catalog, archiveId: string, until: string, actor: string, now: number, reason?: string): Promise<FileRecord> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || !Number.isFinite(Date.parse(`${until}T00:00:00Z`))) {
    throw new IngestError('BAD_REQUEST', `until ${JSON.stringify(until)} is not a date (YYYY-MM-DD)`, { context: { field: 'until' } });
  }
  const file = await catalog.getArchived(archiveId);
  const record = file && (await catalog.getRecord(file.recordId));
  if (!file || !record) throw new IngestError('NOT_FOUND', `the archive knows nothing under ${archiveId}`, { context: { archiveId } });
  const result = transition(record, { type: 'EXTEND_PROPRIETARY', until, actor, ...(reason ? { message: reason } : {}) }, now);
  // The stored date is what listings and read checks decide from. Whichever write comes first, a crash between
  // the two leaves the file more protected, never less: a later date is stored before the history says so, an
  // earlier one after.
  const later = until > (releaseDateOf(record, file) ?? '');
  if (later) await catalog.setReleaseDate(archiveId, until);
  await catalog.updateRecord(result.record, result.entry);
  if (!later) await catalog.setReleaseDate(archiveId, until);
  return result.record;
}

/**
 * The read check for an event of the log: its stored instrument, program and release date decide, except where
 * only the release date stored with the event lets the caller in — an admin may have moved the proprietary period
 * since, so then the archived file's stored date decides (a cataloged file's own date is always current: use
 * {@link mayRead} on it).
 */
export async function mayReadStored(catalog: Catalog, principal: Principal, stored: ReadableFile & { archiveId: string | null }, now: number): Promise<boolean> {
  if (!mayRead(principal, stored, now)) return false;
  if (mayRead(principal, { ...stored, releaseDate: null }, now)) return true; // a member or an admin: no date involved
  const file = stored.archiveId === null ? undefined : await catalog.getArchived(stored.archiveId);
  return !file || mayRead(principal, { ...stored, releaseDate: file.releaseDate ?? null }, now);
}
