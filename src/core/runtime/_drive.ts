/**
 * Moves one record on as far as it can go now: from its stored state, one step after another, as long as each
 * transition's `run` effect asks for the next step; a wait (stability poll, retry time) hands it back to the
 * scheduler.
 */
import type { EventEmitter } from 'eventemitter3';
import { isIngestError, toIngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import type { StepName } from '../lifecycle/states.js';
import type { Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import type { FileAccess } from '../ports/files.js';
import type { Logger } from '../ports/logger.js';
import type { StepContext, StepOutcome } from './_context.js';
import type { Applied, Applier } from './_apply.js';
import type { Scheduler } from './_scheduler.js';
import { nextAction, runStep, type StepResult } from './_steps.js';
import type { IngestorEvents } from './events.js';

/** What {@link createDriver} needs. */
export interface DriverDeps {
  catalog: Catalog;
  clock: Clock;
  files: FileAccess;
  logger: Logger;
  emitter: EventEmitter<IngestorEvents>;
  scheduler: Scheduler;
  applier: Applier;
  ctx: StepContext;
  stepTimeoutMs: number;
  /** The signal that aborts steps (stop with `abort`). */
  signal(): AbortSignal;
}

/** Creates `drive(id)`: what the scheduler runs for each record. */
export function createDriver(deps: DriverDeps): (id: string) => Promise<void> {
  const { catalog, clock, files, logger, emitter, scheduler, applier, ctx, stepTimeoutMs } = deps;

  /** The step a record loaded from the catalog needs, after a due RETRY; undefined when it waits or is done. */
  async function firstStep(record: FileRecord): Promise<Applied | undefined> {
    const action = nextAction(record);
    switch (action.kind) {
      case 'none':
        return undefined;
      case 'step':
        return { record, next: action.step };
      case 'retry':
        if (action.at > clock.now()) return void scheduler.wait(record.id, action.at);
        return applier.applyUnlessMoved(record, { type: 'RETRY' }, true);
    }
  }

  async function attempt(record: FileRecord, step: StepName): Promise<StepResult | undefined> {
    try {
      return await runStep(ctx, step, record, deps.signal(), stepTimeoutMs);
    } catch (error) {
      const e = toIngestError(error, { file: record.source });
      if (isIngestError(e, 'CONFLICT')) {
        logger.debug('record changed by another worker', { recordId: record.id });
        return undefined;
      }
      if (deps.signal().aborted) return undefined;
      if (e.kind === 'internal') emitter.emit('error', e, record);
      return { event: { type: 'FAILED', error: { code: e.code, kind: e.kind, message: e.message, step } } };
    }
  }

  return async function drive(id: string): Promise<void> {
    const loaded = await catalog.getRecord(id);
    let current = loaded && !scheduler.closed ? await firstStep(loaded) : undefined;
    while (current?.next && !scheduler.closed) {
      const { record, next: step } = current;
      const result = await attempt(record, step);
      if (result === undefined) return;
      if ('result' in result) {
        // The commit stored its transition (and a superseded version's) in one transaction: carry out the effects.
        const old = result.supersededTransition;
        if (old) applier.stored(old.record, old.entry, old.effects);
        current = applier.stored(result.result.record, result.result.entry, result.result.effects, { file: result.file, driven: true });
        continue;
      }
      const outcome: StepOutcome = result;
      if ('waitMs' in outcome) return void scheduler.wait(id, clock.now() + outcome.waitMs);
      if (deps.signal().aborted) return;
      const event = outcome.event;
      current = await applier.applyUnlessMoved(record, event, true);
      if (!current) {
        // Another worker moved the record first: the copy this step staged is nobody's.
        if (event.type === 'PREPARED') await files.remove(event.staged).catch(() => {});
        return;
      }
      const warnings = event.type === 'PREPARED' ? event.warnings ?? [] : [];
      if (warnings.length > 0) emitter.emit('warning', current.record, warnings);
    }
  };
}
