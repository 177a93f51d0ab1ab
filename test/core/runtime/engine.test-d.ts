/** The runtime's exhaustive maps and the public lifecycle helpers, as types. */
import { expectTypeOf, it } from 'vitest';
import type { Effect, StateName, StepName } from '../../../src/core/lifecycle/index.js';
import { NEXT_STEP } from '../../../src/core/lifecycle/index.js';
import type { EffectHandlers } from '../../../src/core/runtime/_effects.js';
import { STEPS } from '../../../src/core/runtime/_steps.js';
import { startStop, type EngineOptions, type IngestorEvents } from '../../../src/core/runtime/index.js';
import type { TriggerSink } from '../../../src/core/ports/trigger.js';

it('NEXT_STEP and STEPS are keyed by every state and step', () => {
  expectTypeOf(NEXT_STEP).toEqualTypeOf<Readonly<Record<StateName, StepName | null>>>();
  expectTypeOf<keyof typeof STEPS>().toEqualTypeOf<StepName>();
  expectTypeOf<keyof EffectHandlers>().toEqualTypeOf<Effect['type']>();
});

it('every emitted event has a listener type, requeued included', () => {
  type Emitted = Extract<Effect, { type: 'emit' }>['event'];
  expectTypeOf<Emitted>().toMatchTypeOf<keyof IngestorEvents>();
  expectTypeOf<IngestorEvents['requeued']>().parameters.toEqualTypeOf<[Parameters<IngestorEvents['invalid']>[0]]>();
});

it('startStop keeps the start arguments; the engine takes ownsCatalog', () => {
  const life = startStop({ name: 'x', start: async (_sink: TriggerSink) => {}, stop: async () => {} });
  expectTypeOf(life.start).parameters.toEqualTypeOf<[TriggerSink]>();
  expectTypeOf<EngineOptions['ownsCatalog']>().toEqualTypeOf<boolean | undefined>();
});
