import { describe, expect, it } from 'vitest';
import {
  builtinInstrument,
  builtinInstrumentInputs,
  builtinInstruments,
  checkInstrumentSet,
  parseInstrument,
  type BuiltinInstrumentName,
  type InstrumentDescription,
} from '../../src/instruments/index.js';

/** Every archive-id prefix each shipped description can give (KOA's list for the Keck instruments). */
const expectedPrefixes: Record<BuiltinInstrumentName, string[]> = {
  deimos: ['DE', 'DF'],
  esi: ['ES'],
  hires: ['HI'],
  kcwi: ['KB', 'KF', 'KR', 'KS'],
  kpf: ['KP'],
  lris: ['LB', 'LR'],
  mosfire: ['MF'],
  nirc2: ['N2'],
  nires: ['NI', 'NR'],
  nirspec: ['NC', 'NS'],
  osiris: ['OI', 'OS'],
  generic: ['FITS'],
  megaprime: ['b', 'd', 'f', 'o'],
  attachment: ['ATT', 'LOG', 'NOTES', 'WX'],
};

function prefixes(d: InstrumentDescription): string[] {
  const { prefixRules, defaultPrefix } = d.archiveId;
  return [...new Set([...prefixRules.map((r) => r.prefix), ...(defaultPrefix ? [defaultPrefix] : [])])].sort();
}

describe('built-in instruments', () => {
  const names = Object.keys(builtinInstrumentInputs) as BuiltinInstrumentName[];

  it.each(names)('%s validates', (name) => {
    expect(() => parseInstrument(builtinInstrumentInputs[name], `builtin:${name}`)).not.toThrow();
    expect(prefixes(builtinInstrument(name))).toEqual(expectedPrefixes[name]);
  });

  it('lists every description once, with the generic fallback last', () => {
    const all = builtinInstruments();
    expect(all).toHaveLength(names.length);
    expect(all.at(-1)!.name).toBe('generic');
    expect(all.at(-1)!.aliases).toEqual([]);
    expect(() => checkInstrumentSet(all)).not.toThrow();
  });

  it('returns the same frozen objects every time', () => {
    const kcwi = builtinInstrument('kcwi');
    expect(builtinInstrument('kcwi')).toBe(kcwi);
    expect(Object.isFrozen(kcwi)).toBe(true);
    expect(Object.isFrozen(kcwi.keywordTable[0])).toBe(true);
    expect(() => (kcwi.aliases as string[]).push('X')).toThrow(TypeError);
  });

  it('keeps keyword tables modest and gives every Keck table the KOA core columns', () => {
    for (const d of builtinInstruments()) {
      expect(d.keywordTable.length, d.name).toBeGreaterThanOrEqual(10);
      expect(d.keywordTable.length, d.name).toBeLessThanOrEqual(40);
      if (d.observatory === 'W. M. Keck Observatory') {
        const keywords = d.keywordTable.map((e) => e.keyword);
        expect(keywords, d.name).toEqual(expect.arrayContaining(['KOAID', 'KOAIMTYP', 'DATE-OBS', 'PROGID', 'PROPINT']));
        expect(d.semester, d.name).toBeDefined();
        expect(d.site.utcOffsetHours, d.name).toBe(-10);
      }
    }
  });

  it('derives column names from keywords', () => {
    const kpf = builtinInstrument('kpf');
    const column = (keyword: string) => kpf.keywordTable.find((e) => e.keyword === keyword)?.column;
    expect(column('2MASSID')).toBe('_2massid');
    expect(column('SCI-OBJ')).toBe('sci_obj');
    expect(column('KOAID')).toBe('koaid');
  });

  it('rejects an unknown name passed around the types', () => {
    expect(() => builtinInstrument('wfc3' as BuiltinInstrumentName)).toThrow(/no built-in instrument "wfc3"/);
  });
});
