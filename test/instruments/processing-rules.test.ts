/** processingRules in instrument descriptions: validated at load, matched per frame, readiness by masters. */
import { describe, expect, it } from 'vitest';
import {
  builtinInstrumentInputs,
  parseInstrument,
  processingFor,
  waitingFor,
  headerViewFrom,
  type InstrumentInput,
} from '../../src/instruments/index.js';
import { isIngestError } from '../../src/core/errors.js';

const kcwi = builtinInstrumentInputs.kcwi;
const rules = [
  { name: 'bias-masters', imageTypes: ['bias'], processor: 'kcwi-drp', mode: 'masters', priority: 90 },
  { name: 'flat-masters', imageTypes: ['flatlamp', 'domeflat'], processor: 'kcwi-drp', mode: 'masters' },
  { name: 'quicklook', imageTypes: ['object'], processor: 'kcwi-drp', mode: 'quicklook', needs: ['bias', 'flatlamp'], priority: 100 },
  { name: 'bright-only', imageTypes: ['object'], when: { keyword: 'TTIME', lt: 10 }, processor: 'fast-look', priority: 60 },
  { name: 'night', processor: 'kcwi-drp', mode: 'full', on: 'night-close' },
];
const described = (processingRules: unknown[]): InstrumentInput => ({ ...kcwi, processingRules } as InstrumentInput);

function problems(processingRules: unknown[]): string[] {
  try {
    parseInstrument(described(processingRules), 'kcwi.yaml');
    return [];
  } catch (error) {
    if (!isIngestError(error)) throw error;
    return (error.context.problems as string[] | undefined) ?? [error.message];
  }
}

const header = (cards: Record<string, string | number>) => headerViewFrom(cards);

describe('processingRules', () => {
  it('loads with defaults filled in: level 0, on arrival, priority 50, no needs', () => {
    const d = parseInstrument(described(rules), 'kcwi.yaml');
    expect(d.processingRules).toHaveLength(5);
    expect(d.processingRules[1]).toMatchObject({ levels: [0], on: 'arrival', priority: 50, needs: [] });
  });

  it('refuses duplicate names, unknown image types, needs no masters rule builds, and a masters rule without types', () => {
    expect(problems([...rules, { name: 'quicklook', processor: 'x' }])).toEqual([
      'processingRules[5].name: duplicate rule name "quicklook" (also processingRules[2])',
    ]);
    expect(problems([{ name: 'ql', imageTypes: ['objekt'], processor: 'x' }])).toEqual([
      'processingRules[0].imageTypes[0]: image type "objekt" is not listed in imageTypes',
    ]);
    const [need] = problems([{ name: 'ql', imageTypes: ['object'], processor: 'x', needs: ['arclamp'] }]);
    expect(need).toMatch(/^processingRules\[0\]\.needs\[0\]: no rule with mode "masters" builds "arclamp" masters/);
    expect(problems([{ name: 'm', processor: 'x', mode: 'masters' }])).toEqual([
      'processingRules[0].imageTypes: a "masters" rule names the calibration image types it builds masters from',
    ]);
    expect(problems([{ name: 'Bad Name', processor: 'x' }])[0]).toMatch(/^processingRules\[0\]\.name: a rule name is lower-case/);
  });

  it('matches frames by image type, condition, level and moment, highest priority first', () => {
    const d = parseInstrument(described(rules), 'kcwi.yaml');
    const names = (cards: Record<string, string | number>, imageType: string, level: 0 | 1 | 2 = 0, on: 'arrival' | 'night-close' = 'arrival') =>
      processingFor(d, { header: header(cards), imageType, level }, on).map((r) => r.name);
    expect(names({ TTIME: 5 }, 'object')).toEqual(['quicklook', 'bright-only']);
    expect(names({ TTIME: 600 }, 'object')).toEqual(['quicklook']);
    expect(names({}, 'bias')).toEqual(['bias-masters']);
    expect(names({}, 'object', 1)).toEqual([]);
    expect(names({}, 'object', 0, 'night-close')).toEqual(['night']);
    expect(names({}, 'arclamp')).toEqual([]);
  });

  it('a frame waits for exactly the masters that are not ready yet', () => {
    const d = parseInstrument(described(rules), 'kcwi.yaml');
    const ql = d.processingRules.find((r) => r.name === 'quicklook')!;
    expect(waitingFor(ql, new Set())).toEqual(['bias', 'flatlamp']);
    expect(waitingFor(ql, new Set(['bias']))).toEqual(['flatlamp']);
    expect(waitingFor(ql, new Set(['bias', 'flatlamp']))).toEqual([]);
  });
});
