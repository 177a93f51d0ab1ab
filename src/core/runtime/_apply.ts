/**
 * Stores a transition, then carries out its effects: the order that makes a restart safe (the catalog holds the
 * new state before anything acts on it).
 */
import type { EventEmitter } from 'eventemitter3';
import { isIngestError } from '../errors.js';
import type { FileRecord, HistoryEntry } from '../lifecycle/record.js';
import { isFinal, type StepName } from '../lifecycle/states.js';
import { transition, type Effect, type LifecycleEvent, type RetryPolicy } from '../lifecycle/transition.js';
import type { ArchivedFile, Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { StepContext } from './_context.js';
import { runEffects, type EffectHandlers, type EffectTarget } from './_effects.js';
import type { IngestorEvents } from './events.js';

/** What {@link createApplier} needs. */
export interface ApplierDeps {
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  emitter: EventEmitter<IngestorEvents>;
  handlers: EffectHandlers;
  ctx: StepContext;
  retry: Partial<RetryPolicy>;
  random: () => number;
  /** Called once for each record this engine saw become final (waiters, taking back copies). */
  onFinal(record: FileRecord): void;
}

/** A stored transition, and the step its `run` effect asks for (when the caller drives the record). */
export interface Applied {
  record: FileRecord;
  next?: StepName;
}

/** Applying transitions. */
export interface Applier {
  /** Stores `event`'s transition and carries out its effects. `driven`: the caller runs the next step itself. */
  apply(record: FileRecord, event: LifecycleEvent, driven: boolean): Promise<Applied>;
  /** {@link Applier.apply}, or undefined when another worker sharing the catalog changed the record first. */
  applyUnlessMoved(record: FileRecord, event: LifecycleEvent, driven: boolean): Promise<Applied | undefined>;
  /** Carries out the effects of a transition stored elsewhere (the commit's own transaction). */
  stored(record: FileRecord, entry: HistoryEntry | undefined, effects: readonly Effect[], extra?: { file?: ArchivedFile; driven?: boolean }): Applied;
}

/** Creates the applier. */
export function createApplier(deps: ApplierDeps): Applier {
  const { catalog, clock, logger, emitter, handlers, ctx, retry, random, onFinal } = deps;

  function stored(record: FileRecord, entry: HistoryEntry | undefined, effects: readonly Effect[], extra: { file?: ArchivedFile; driven?: boolean } = {}): Applied {
    if (entry) emitter.emit('state', record, entry);
    const target: EffectTarget = { record, driven: extra.driven ?? false, ...(extra.file ? { file: extra.file } : {}) };
    runEffects(handlers, effects, target);
    if (isFinal(record.state)) {
      ctx.staged.delete(record.id);
      ctx.receipts.delete(record.id);
      ctx.observations.delete(record.id);
      onFinal(record);
    }
    return target.next ? { record, next: target.next } : { record };
  }

  async function apply(record: FileRecord, event: LifecycleEvent, driven: boolean): Promise<Applied> {
    const result = transition(record, event, clock.now(), { retry, random });
    await catalog.updateRecord(result.record, result.entry);
    return stored(result.record, result.entry, result.effects, { driven });
  }

  return {
    apply,
    stored,
    async applyUnlessMoved(record, event, driven) {
      try {
        return await apply(record, event, driven);
      } catch (error) {
        if (!isIngestError(error, 'CONFLICT')) throw error;
        logger.debug('record changed by another worker', { recordId: record.id });
        return undefined;
      }
    },
  };
}
