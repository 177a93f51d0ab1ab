/**
 * Carries out the effects of {@link transition}: the only contract between the state machine and the runtime.
 * Every effect kind has a handler (the map is exhaustive: a new kind does not compile until it is handled), and
 * every `emit` event has a listener call.
 */
import type { EventEmitter } from 'eventemitter3';
import { IngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import type { StepName } from '../lifecycle/states.js';
import type { Effect } from '../lifecycle/transition.js';
import type { ArchivedFile, Catalog } from '../ports/catalog.js';
import type { FileAccess } from '../ports/files.js';
import type { Logger } from '../ports/logger.js';
import type { IngestorEvents } from './events.js';
import type { Scheduler } from './_scheduler.js';

/** An effect of one kind. */
export type EffectOf<K extends Effect['type']> = Extract<Effect, { type: K }>;

/** The events a transition asks the runtime to emit. */
export type EmittedEvent = EffectOf<'emit'>['event'];

/** What the effects of one transition apply to. */
export interface EffectTarget {
  /** The record as the transition left it (already stored). */
  record: FileRecord;
  /** The archived file, when the transition is the commit (for the `archived` event). */
  file?: ArchivedFile;
  /**
   * Set by the `run` handler when the caller drives this record itself: the step to run next. A caller that does
   * not drive the record leaves it unset and the record is queued instead.
   */
  next?: StepName;
  /** True when the caller drives the record (runs the next step itself). */
  driven?: boolean;
}

/** One handler per effect kind. */
export type EffectHandlers = { readonly [K in Effect['type']]: (effect: EffectOf<K>, target: EffectTarget) => void };

/** Carries out `effects` in order. */
export function runEffects(handlers: EffectHandlers, effects: readonly Effect[], target: EffectTarget): void {
  for (const effect of effects) dispatch(handlers, effect, target);
}

function dispatch(handlers: EffectHandlers, effect: Effect, target: EffectTarget): void {
  switch (effect.type) {
    case 'run':
      return handlers.run(effect, target);
    case 'schedule':
      return handlers.schedule(effect, target);
    case 'discard-staged':
      return handlers['discard-staged'](effect, target);
    case 'emit':
      return handlers.emit(effect, target);
    default:
      return unhandled(effect);
  }
}

/** Exhaustiveness: reached only by an effect kind no case handles (a type error at compile time). */
function unhandled(effect: never): never {
  throw new IngestError('INTERNAL', `the runtime has no handler for the effect ${JSON.stringify(effect)}`);
}

/** What the engine's effect handlers act on. */
export interface EngineEffectDeps {
  emitter: EventEmitter<IngestorEvents>;
  scheduler: Pick<Scheduler, 'enqueue' | 'wait'>;
  files: FileAccess;
  catalog: Catalog;
  logger: Logger;
}

/** The engine's handlers: queue runs and retries, remove staged copies, tell listeners. */
export function engineEffectHandlers(deps: EngineEffectDeps): EffectHandlers {
  const { emitter, scheduler, files, catalog, logger } = deps;
  const archived = (target: EffectTarget): void => {
    if (target.file) return void emitter.emit('archived', target.record, target.file);
    // Only the commit archives, and it passes the file; this covers a transition applied elsewhere.
    const id = target.record.archiveId;
    if (id === undefined) return;
    void catalog.getArchived(id).then(
      (file) => file && emitter.emit('archived', target.record, file),
      (error: unknown) => logger.warn('could not read the archived file for the archived event', { recordId: target.record.id, error: String(error) }),
    );
  };
  const emitters: Record<EmittedEvent, (target: EffectTarget) => void> = {
    archived,
    invalid: (t) => void emitter.emit('invalid', t.record),
    failed: (t) => void emitter.emit('failed', t.record),
    abandoned: (t) => void emitter.emit('abandoned', t.record),
    duplicate: (t) => void emitter.emit('duplicate', t.record),
    superseded: (t) => void emitter.emit('superseded', t.record),
    requeued: (t) => void emitter.emit('requeued', t.record),
  };
  return {
    run: (effect, target) => {
      if (target.driven) target.next = effect.step;
      else scheduler.enqueue(target.record.id);
    },
    schedule: (effect, target) => scheduler.wait(target.record.id, effect.at),
    'discard-staged': (effect) => {
      void files.remove(effect.path).catch((error: unknown) => logger.warn('could not remove a staged copy', { path: effect.path, error: String(error) }));
    },
    emit: (effect, target) => emitters[effect.event](target),
  };
}
