/**
 * PREPARED → TRANSFERRING → TRANSFERRED: hand the staged copy to every transport; each verifies the bytes at
 * its destination before it returns a receipt. TRANSFERRING is recorded first, so a crash mid-transfer resumes
 * the transfer (transports are idempotent: identical bytes already in place count as done).
 */
import { IngestError, toIngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import type { TransferReceipt, TransferRequest } from '../ports/transport.js';
import { failure, isReingest, stagedCopy, type StepContext, type StepOutcome } from './_context.js';

/** The request every transport gets for a prepared record, built from the staged copy's headers. */
export async function transferRequest(ctx: StepContext, record: FileRecord): Promise<TransferRequest> {
  const staged = record.staged!;
  const { primary, hdus: sums } = await stagedCopy(ctx, record);
  return {
    recordId: record.id,
    archiveId: record.archiveId!,
    instrument: record.instrument!,
    level: record.level,
    night: record.night!,
    path: staged,
    size: record.stagedSize!,
    sha256: record.sha256!,
    hdus: sums,
    originalName: record.originalName,
    replace: isReingest(record),
    sidecar: {
      archiveId: record.archiveId,
      instrument: record.instrument,
      level: record.level,
      parents: record.parents,
      night: record.night,
      originalName: record.originalName,
      source: record.source,
      sourceSha256: record.sourceSha256,
      sha256: record.sha256,
      size: record.stagedSize,
      hdus: sums,
      program: primary.get('PROGID') ?? null,
      dateObs: primary.get('DATE-OBS') ?? null,
      warnings: record.warnings,
      software: ctx.software,
    },
  };
}

/** Transfers to every transport (in order); returns the receipts. */
export async function transferAll(ctx: StepContext, record: FileRecord, signal?: AbortSignal): Promise<TransferReceipt[]> {
  const request = await transferRequest(ctx, record);
  const receipts: TransferReceipt[] = [];
  for (const transport of ctx.transports) receipts.push(await transport.transfer(request, signal));
  // Hooks such as per-night digest manifests run before the catalog commit and must be idempotent.
  for (const [i, transport] of ctx.transports.entries()) await transport.committed?.(request, receipts[i]!);
  return receipts;
}

export async function transfer(ctx: StepContext, record: FileRecord, signal?: AbortSignal): Promise<StepOutcome> {
  if (record.state === 'PREPARED') return { event: { type: 'TRANSFER_STARTED' } };
  const staged = record.staged ? await ctx.files.stat(record.staged) : undefined;
  if (!staged || staged.size !== record.stagedSize) {
    // The staged copy is gone or damaged (a cleaned temp directory…): prepare it again.
    const error = new IngestError('FILE_NOT_FOUND', `the staged copy ${record.staged ?? '(none)'} is missing or damaged`, {
      context: { file: record.source },
    });
    return { event: failure(error, 'transfer', 'STABLE') };
  }
  try {
    const receipts = await transferAll(ctx, record, signal);
    ctx.receipts.set(record.id, receipts);
    return { event: { type: 'TRANSFERRED', location: receipts[0]?.location ?? record.staged! } };
  } catch (error) {
    return { event: failure(toIngestError(error, { file: record.source }), 'transfer') };
  }
}
