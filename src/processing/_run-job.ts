/**
 * One job from start to end in one processing area: resolve files, clean the area, run the processor, archive the
 * products, remember the result in the cache, and store the request's final state with its log. The area is
 * cleaned afterwards whatever happened. Internal.
 *
 * @module
 */
import { IngestError, toIngestError } from '../core/errors.js';
import type { ProcessorCalibrationFile, ProcessorFile } from '../core/ports/processor.js';
import { provenanceCards } from '../core/processing/provenance.js';
import { FINAL_REQUEST_STATES, transitionRequest, type ProcessingRequest, type RequestEvent } from '../core/processing/request.js';
import { cleanArea, markArea, type ProcessingArea } from './areas.js';
import { archiveProducts, stageProducts } from './_archive-products.js';
import type { ServiceContext } from './_context.js';
import { localPath } from './inputs.js';

/** Why a running job's signal was aborted. */
export type AbortReason = { type: 'cancel'; actor: string } | { type: 'shutdown' };

async function archivedFile(ctx: ServiceContext, archiveId: string): Promise<ProcessorFile> {
  const file = await ctx.catalog.getArchived(archiveId);
  if (!file) throw new IngestError('NOT_FOUND', `no archived file ${archiveId}`, { context: { file: archiveId } });
  return { archiveId, path: localPath(file), sha256: file.sha256 };
}

/** Stores `event` on the request (re-reading it first), returning the new request. */
export async function move(ctx: ServiceContext, request: ProcessingRequest, event: RequestEvent, actor?: string): Promise<ProcessingRequest> {
  const next = transitionRequest(request, event, ctx.now(), actor);
  await ctx.store.updateRequest(next);
  if (FINAL_REQUEST_STATES.includes(next.state)) ctx.onFinal?.(next);
  return next;
}

/**
 * Runs a RUNNING request in `area`; resolves once its final state is stored. `release` is called once the area is
 * clean again (right after the pipeline, before the products are archived from the outbox), so the next job can
 * start while this one's products are archived.
 */
export async function runJob(ctx: ServiceContext, request: ProcessingRequest, area: ProcessingArea, signal: AbortSignal, release: () => void): Promise<ProcessingRequest> {
  const choice = request.choice!;
  let released = false;
  const free = async (): Promise<void> => {
    if (released) return;
    released = true;
    await cleanArea(area).catch(() => {});
    release();
  };
  try {
    const set = await ctx.store.getSet(choice.setId);
    if (!set) throw new IngestError('CALIBRATION_NOT_FOUND', `calibration set ${choice.setId} is not stored`);
    const calibration: ProcessorCalibrationFile[] = [];
    for (const f of set.files) calibration.push({ role: f.role, ...(await archivedFile(ctx, f.archiveId)) });
    const inputs: ProcessorFile[] = [];
    for (const i of request.inputs) inputs.push(await archivedFile(ctx, i.archiveId));
    const outputDir = await cleanArea(area);
    await markArea(area, request.id);
    const cards = provenanceCards({ requestId: request.id, processor: request.processor, choice, inputs: request.inputs });
    const result = await ctx.processor.run({
      requestId: request.id, area, inputs, outputDir, provenance: cards, signal, ...(request.mode ? { mode: request.mode } : {}),
      calibration: { setId: set.id, instrument: set.instrument, kind: set.kind, version: set.version, files: calibration },
    });
    if (signal.aborted) throw new IngestError('ABORTED', 'cancelled', { context: { log: result.log } });
    if (result.products.length === 0) throw new IngestError('PROCESSOR_FAILED', `${ctx.processor.name} wrote no product`, { context: { log: result.log } });
    const staged = await stageProducts(ctx, request, result.products, cards);
    await free();
    const products = await archiveProducts(ctx, request, staged, set);
    await ctx.store.putCached({ key: request.cacheKey!, products, requestId: request.id, storedAt: ctx.now() });
    return await move(ctx, request, { type: 'SUCCEED', products, log: result.log });
  } catch (thrown) {
    const error = toIngestError(thrown);
    const log = typeof error.context['log'] === 'string' ? error.context['log'] : '';
    const reason = signal.aborted ? (signal.reason as AbortReason | undefined) : undefined;
    if (reason?.type === 'cancel') return move(ctx, request, { type: 'CANCEL', actor: reason.actor, log }, reason.actor);
    if (reason?.type === 'shutdown') return move(ctx, request, { type: 'RESTART', message: 'the scheduler stopped; the job runs again at the next start' });
    return move(ctx, request, { type: 'FAIL', code: error.code, message: error.detail, log });
  } finally {
    await free();
  }
}
