import { expectTypeOf, test } from 'vitest';
import type { Header } from '../../src/core/fits/header.js';
import {
  makeArchiveId,
  parseInstrument,
  type ArchiveId,
  type Condition,
  type HeaderView,
  type InstrumentDescription,
  type InstrumentInput,
} from '../../src/instruments/index.js';

test('the core Header satisfies the HeaderView the rules need', () => {
  expectTypeOf<Header>().toExtend<HeaderView>();
});

test('descriptions: inputs may omit defaulted fields, outputs have them', () => {
  expectTypeOf<{ name: 'X'; archiveId: { defaultPrefix: 'XX' } }>().toExtend<InstrumentInput>();
  expectTypeOf<InstrumentDescription['proprietaryMonths']>().toEqualTypeOf<number>();
  expectTypeOf<InstrumentDescription['archiveId']['scheme']>().toEqualTypeOf<'keck' | 'template'>();
  expectTypeOf<InstrumentDescription['keywordTable'][number]['column']>().toEqualTypeOf<string>();
  expectTypeOf(parseInstrument).returns.toEqualTypeOf<InstrumentDescription>();
  expectTypeOf(makeArchiveId).returns.toEqualTypeOf<ArchiveId>();
});

test('conditions are typed data', () => {
  expectTypeOf<{ all: [{ keyword: 'A'; equals: 1 }, { not: { exists: 'B' } }] }>().toExtend<Condition>();
  expectTypeOf<{ keyword: 'A'; matches: '^x'; flags: 'i' }>().toExtend<Condition>();
  expectTypeOf<{ nand: [] }>().not.toExtend<Condition>();
});
