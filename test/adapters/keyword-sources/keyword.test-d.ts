import { expectTypeOf, test } from 'vitest';
import { createMemoryKeywordSource, type MemoryKeywordBus, type MemoryKeywordSourceOptions } from '../../../src/adapters/keyword-sources/memory.js';
import {
  createZeromqKeywordPublisher,
  createZeromqKeywordSource,
  type ZeromqKeywordPublisher,
  type ZeromqKeywordSourceOptions,
} from '../../../src/adapters/keyword-sources/zeromq.js';
import { createKeywordTrigger, type KeywordTriggerOptions } from '../../../src/adapters/triggers/keyword.js';
import type { KeywordMessage, KeywordSource, KeywordValue } from '../../../src/core/ports/keyword-source.js';
import type { Trigger } from '../../../src/core/ports/trigger.js';
import type { InstrumentDescription } from '../../../src/core/instruments/schema.js';

test('the source factories return the KeywordSource port; only the endpoint (or bus) is required', () => {
  expectTypeOf(createZeromqKeywordSource).returns.toEqualTypeOf<KeywordSource>();
  expectTypeOf(createMemoryKeywordSource).returns.toEqualTypeOf<KeywordSource>();
  expectTypeOf<{ endpoint: 'tcp://127.0.0.1:5570' }>().toExtend<ZeromqKeywordSourceOptions>();
  expectTypeOf<{ requestEndpoint: 'tcp://127.0.0.1:5571' }>().not.toExtend<ZeromqKeywordSourceOptions>();
  expectTypeOf<{ bus: MemoryKeywordBus }>().toExtend<MemoryKeywordSourceOptions>();
  expectTypeOf(createZeromqKeywordPublisher).returns.toEqualTypeOf<ZeromqKeywordPublisher>();
});

test('messages carry JSON scalars and epoch-ms times', () => {
  expectTypeOf<KeywordMessage['value']>().toEqualTypeOf<KeywordValue>();
  expectTypeOf<KeywordValue>().toEqualTypeOf<string | number | boolean | null>();
  expectTypeOf<KeywordMessage['time']>().toEqualTypeOf<number>();
});

test('the keyword trigger takes a loaded instrument description and returns the Trigger port', () => {
  expectTypeOf<{ source: KeywordSource; instrument: InstrumentDescription }>().toExtend<KeywordTriggerOptions>();
  expectTypeOf<{ source: KeywordSource }>().not.toExtend<KeywordTriggerOptions>();
  expectTypeOf<KeywordTriggerOptions['level']>().toEqualTypeOf<0 | 1 | 2 | undefined>();
  expectTypeOf(createKeywordTrigger).returns.toEqualTypeOf<Trigger>();
});
