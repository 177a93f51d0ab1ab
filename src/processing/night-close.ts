/**
 * Closing a night, as at Keck at the end of the night: the night's masters are rebuilt from every calibration it
 * holds (those taken after sunrise included), then each raw frame a `night-close` rule takes becomes one request
 * of a single batch (the full, level-2 reduction), and once every request has ended the batch is released: one
 * `released` event in the archive's event log names the night, the batch and its products, which the pipeline
 * archived linked to their raw parents.
 *
 * Idempotent and resumable: the night's record stores each step before the next begins (MASTERS, BATCH with its
 * batch id fixed before any request is stored, CLOSED), so closing again after a crash continues where it stopped,
 * submits only the frames whose request is missing, and closing a closed night returns its record.
 *
 * @module
 */
import { IngestError } from '../core/errors.js';
import { instrumentByName } from '../core/instruments/find-instrument.js';
import { processingFor } from '../core/instruments/processing.js';
import { createRequest, type ProcessingRequest } from '../core/processing/request.js';
import type { NightRecord } from '../core/processing/quicklook.js';
import { buildMasters, nightFrames, nightRecord } from './_night-masters.js';
import { frameView } from './_frame-view.js';
import { inputOf } from './inputs.js';
import type { ProcessingService } from './service.js';

/** What {@link closeNight} takes. */
export interface CloseNightInput {
  instrument: string;
  /** YYYY-MM-DD */
  night: string;
  /** Who closes it (`operator:name`, `schedule`). */
  actor: string;
  /** How long to wait for the batch's requests. @default 3600000 */
  timeoutMs?: number;
  /** Runs the masters step under a caller's lock (the quick-look listener's, so masters are certified once). */
  buildUnder?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Closes a night (see the module); resolves to its CLOSED record. The service must be started. */
export async function closeNight(service: ProcessingService, input: CloseNightInput): Promise<NightRecord> {
  const ctx = service.context;
  const description = instrumentByName(ctx.instruments, input.instrument);
  if (!description) throw new IngestError('INVALID_OPTIONS', `unknown instrument ${input.instrument}`, { context: { field: 'instrument' } });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.night)) throw new IngestError('INVALID_OPTIONS', `night "${input.night}" is not YYYY-MM-DD`, { context: { field: 'night' } });
  let record = await nightRecord(ctx, description.name, input.night);
  if (record.state === 'CLOSED') return record;
  const frames = await nightFrames(ctx, description.name, input.night);
  if (frames.length === 0) throw new IngestError('NOT_FOUND', `${description.name} has no raw frame archived for the night ${input.night}`, { hint: 'check the night (fits-ingest catalog query --from NIGHT --to NIGHT)' });

  if (record.state === 'OPEN' || record.state === 'MASTERS') {
    const under = input.buildUnder ?? (<T>(fn: () => Promise<T>) => fn());
    record = await under(async () => {
      // Re-read under the lock: masters built for waiting frames meanwhile are in the stored record.
      let current = await nightRecord(ctx, description.name, input.night);
      if (current.state === 'OPEN') {
        current = { ...current, state: 'MASTERS', closedBy: input.actor, closeStartedAt: ctx.now() };
        await ctx.store.putNight(current);
      }
      if (current.state !== 'MASTERS') return current;
      const built = await buildMasters(ctx, description, current, input.actor);
      const next: NightRecord = { ...built, state: 'BATCH', batch: built.batch ?? ctx.newId() };
      await ctx.store.putNight(next);
      return next;
    });
    if (record.state === 'CLOSED') return record;
  }

  const batch = record.batch!;
  const existing = await ctx.store.findRequests({ batch, limit: 100_000 });
  const asked = new Set(existing.map((r) => `${r.inputs[0]!.archiveId}\u0000${r.rule}`));
  const requests: ProcessingRequest[] = [...existing];
  for (const file of frames.sort((a, b) => a.archiveId.localeCompare(b.archiveId))) {
    for (const rule of processingFor(description, frameView(file), 'night-close')) {
      if (rule.mode === 'masters' || asked.has(`${file.archiveId}\u0000${rule.name}`)) continue;
      if (rule.processor !== ctx.processor.name) {
        throw new IngestError('INVALID_OPTIONS', `${description.name} rule "${rule.name}" runs processor "${rule.processor}", this service runs "${ctx.processor.name}"`, { context: { field: 'processingRules' } });
      }
      const request = createRequest({
        id: ctx.newId(), requester: input.actor, priority: rule.priority, instrument: description.name, kind: ctx.kind, inputs: [inputOf(ctx.instruments, file)],
        calibration: 'latest', processor: { name: ctx.processor.name, version: ctx.processor.version }, batch, mode: rule.mode, rule: rule.name,
        reason: `close of the night ${input.night} (rule ${rule.name})`,
      }, ctx.now());
      await ctx.store.insertRequest(request);
      requests.push(request);
    }
  }
  service.wake();
  const final = await service.settled(requests.map((r) => r.id), { timeoutMs: input.timeoutMs ?? 3_600_000 });
  const products = final.flatMap((r) => r.products);
  if (ctx.catalog.appendEvent) {
    await ctx.catalog.appendEvent({
      kind: 'released', at: ctx.now(), recordId: null, archiveId: null, instrument: description.name, level: 2, night: input.night, program: null, imageType: null,
      object: null, releaseDate: null, parents: [...new Set(final.flatMap((r) => r.inputs.map((i) => i.archiveId)))], sha256: null, size: null, originalName: null,
      detail: { source: 'night-close', batch, requests: final.length, products: products.length, failed: final.filter((r) => r.state !== 'DONE').length, actor: input.actor },
    });
  }
  record = { ...record, state: 'CLOSED', requests: final.length, products, failed: final.filter((r) => r.state !== 'DONE').length, closedAt: ctx.now() };
  await ctx.store.putNight(record);
  return record;
}
