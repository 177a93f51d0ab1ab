/**
 * TRANSFERRED → ARCHIVED: one catalog transaction stores the archived file (sums, locations, keyword columns,
 * full header) and the record's new state — the commit point of ingestion. A reingest supersedes the archived
 * file it replaces in the same transaction.
 */
import { IngestError, toIngestError } from '../errors.js';
import type { FileRecord, HistoryEntry } from '../lifecycle/record.js';
import { transition, type LifecycleEvent, type TransitionResult } from '../lifecycle/transition.js';
import { extractColumns } from '../normalize/columns.js';
import { addMonths } from '../normalize/normalize.js';
import { provenanceOf } from '../normalize/product-provenance.js';
import type { ArchivedFile } from '../ports/catalog.js';
import { failure, instrumentNamed, isReingest, stagedCopy, type StepContext } from './_context.js';
import { transferAll } from './_transfer.js';

/** What the commit step hands back to the engine: the transition it stored, and the archived file. */
export interface CommitResult {
  result: TransitionResult;
  file: ArchivedFile;
  superseded?: FileRecord;
  /** The superseded version's transition (stored in the same transaction), whose effects the engine carries out. */
  supersededTransition?: TransitionResult;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export async function commit(ctx: StepContext, record: FileRecord, signal?: AbortSignal): Promise<CommitResult | { event: LifecycleEvent }> {
  const description = instrumentNamed(ctx, record.instrument);
  const staged = record.staged ? await ctx.files.stat(record.staged) : undefined;
  if (!description || !staged) {
    const error = new IngestError('FILE_NOT_FOUND', `cannot commit: the staged copy or the instrument ${record.instrument} is gone`, {
      context: { file: record.source },
    });
    return { event: failure(error, 'commit', 'STABLE') };
  }
  try {
    // Two records of the same source raced (a copy announced while the original was in flight): the one that
    // finds the other already archived is its DUPLICATE, not a conflict.
    const raced = await racedDuplicate(ctx, record);
    if (raced) return { event: raced };
    const { primary: header, hdus, headers } = await stagedCopy(ctx, record);
    const receipts = ctx.receipts.get(record.id) ?? (await transferAll(ctx, record, signal));
    const out = description.outputKeywords;
    const months = header.get(out.proprietaryMonths);
    const file: ArchivedFile = {
      archiveId: record.archiveId!,
      recordId: record.id,
      instrument: record.instrument!,
      level: record.level,
      parents: record.parents,
      night: record.night!,
      originalName: record.originalName,
      source: record.source,
      size: record.stagedSize!,
      sha256: record.sha256!,
      sourceSha256: record.sourceSha256!,
      hdus,
      locations: receipts.map((r, i) => ({ uri: r.location, transport: ctx.transports[i]!.name, verifiedAt: r.finishedAt })),
      columns: extractColumns(description, header, headers).columns,
      header: header.toJSON(),
      archivedAt: ctx.clock.now(),
    };
    const program = text(header.get('PROGID'));
    const dateObs = text(header.get('DATE-OBS'));
    const imageType = text(header.get(out.imageType));
    if (program !== undefined) file.program = program;
    if (dateObs !== undefined) file.dateObs = dateObs;
    if (imageType !== undefined) file.imageType = imageType;
    if (typeof months === 'number') file.releaseDate = addMonths(record.night!, months);
    const provenance = provenanceOf(record.metadata);
    if (provenance) file.provenance = provenance;

    const result = transition(record, { type: 'ARCHIVED' }, file.archivedAt);
    let supersedes: { record: FileRecord; entry: HistoryEntry } | undefined;
    let supersededTransition: TransitionResult | undefined;
    if (isReingest(record)) {
      const current = await ctx.catalog.getArchived(file.archiveId);
      const old = current && current.recordId !== record.id ? await ctx.catalog.getRecord(current.recordId) : undefined;
      if (old?.state === 'ARCHIVED') {
        const moved = transition(old, { type: 'SUPERSEDE', by: record.id, actor: 'reingest' }, file.archivedAt);
        supersedes = { record: moved.record, entry: moved.entry! };
        supersededTransition = moved;
      }
    }
    await ctx.catalog.commitArchived(result.record, result.entry!, file, supersedes);
    ctx.receipts.delete(record.id);
    ctx.staged.delete(record.id);
    return supersedes ? { result, file, superseded: supersedes.record, supersededTransition: supersededTransition! } : { result, file };
  } catch (error) {
    const e = toIngestError(error, { file: record.source });
    if (e.code === 'CONFLICT') throw e;
    if (e.code === 'ARCHIVE_ID_CONFLICT') {
      const raced = await racedDuplicate(ctx, record);
      if (raced) return { event: raced };
    }
    return { event: failure(e, 'commit') };
  }
}

/** A DUPLICATE event when another record archived the same source bytes under this archive id meanwhile. */
async function racedDuplicate(ctx: StepContext, record: FileRecord): Promise<LifecycleEvent | undefined> {
  if (isReingest(record) || !record.archiveId) return undefined;
  const current = await ctx.catalog.getArchived(record.archiveId);
  if (!current || current.recordId === record.id || current.sourceSha256 !== record.sourceSha256) return undefined;
  return { type: 'DUPLICATE', of: current.recordId, message: `identical to ${current.archiveId} (archived from ${current.source} while this file was in flight)` };
}
