/**
 * From archived files to what a job needs: observation times, local paths of archived copies, and the raw science
 * frames a `--archive-id / --program / --night` selection names. Internal.
 *
 * @module
 */
import { IngestError } from '../core/errors.js';
import type { ArchivedFile, Catalog, FileQuery } from '../core/ports/catalog.js';
import type { RequestInput } from '../core/processing/request.js';
import { observationTime } from '../core/instruments/calibrations.js';
import { instrumentByName } from '../core/instruments/find-instrument.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';

/** What to reprocess. */
export interface Selection {
  archiveIds?: string[];
  program?: string;
  /** YYYY-MM-DD */
  night?: string;
  instrument?: string;
  /** Every raw science frame of `instrument` (bulk reprocessing). */
  all?: boolean;
}

/** Observation time of an archived file (DATE-OBS + UT by its instrument's keyword map), or the archive time. */
export function observedAt(instruments: readonly InstrumentDescription[], file: ArchivedFile): number {
  const description = instrumentByName(instruments, file.instrument);
  return (description && observationTime(description, file)) ?? file.archivedAt;
}

/** The local path of an archived file's first copy on a filesystem. */
export function localPath(file: ArchivedFile): string {
  const location = file.locations.find((l) => !/^[a-z]+:\/\//i.test(l.uri)) ?? file.locations[0];
  if (!location) throw new IngestError('ARCHIVED_COPY_MISSING', `${file.archiveId} has no archived copy on this machine`, { context: { file: file.archiveId } });
  return location.uri.replace(/^file:\/\//, '');
}

/** Raw frames (level 0) of the science image types the selection names, grouped by instrument. */
export async function selectInputs(catalog: Catalog, instruments: readonly InstrumentDescription[], selection: Selection, scienceTypes: readonly string[]): Promise<ArchivedFile[]> {
  const query: FileQuery = { level: 0, limit: 100_000 };
  if (selection.archiveIds?.length) query.archiveIds = selection.archiveIds;
  if (selection.program !== undefined) query.program = selection.program;
  if (selection.night !== undefined) Object.assign(query, { nightFrom: selection.night, nightTo: selection.night });
  if (selection.instrument !== undefined) query.instrument = selection.instrument;
  if (!query.archiveIds && selection.program === undefined && selection.night === undefined && !(selection.all && selection.instrument !== undefined)) {
    throw new IngestError('INVALID_OPTIONS', 'say what to reprocess: archive ids, a program, a night, or all of an instrument', { context: { field: 'selection' } });
  }
  const files = await catalog.findArchived(query);
  if (query.archiveIds) {
    const missing = query.archiveIds.filter((id) => !files.some((f) => f.archiveId === id));
    if (missing.length) throw new IngestError('NOT_FOUND', `no raw archived file ${missing.join(', ')}`, { context: { file: missing[0] } });
    return files;
  }
  return files.filter((f) => f.imageType !== undefined && scienceTypes.includes(f.imageType)).sort((a, b) => a.archiveId.localeCompare(b.archiveId));
}

/** The request input of an archived raw frame. */
export function inputOf(instruments: readonly InstrumentDescription[], file: ArchivedFile): RequestInput {
  return { archiveId: file.archiveId, sha256: file.sha256, observedAt: observedAt(instruments, file) };
}
