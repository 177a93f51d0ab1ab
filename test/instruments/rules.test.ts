import { describe, expect, it } from 'vitest';
import {
  evaluateCondition,
  firstMatchingRule,
  headerViewFrom,
  isInUtWindow,
  resolveKeyword,
  valueNumber,
  type Condition,
  type HeaderValue,
} from '../../src/instruments/index.js';

const header = headerViewFrom({
  CAMERA: 'BLUE    ',
  OBSTYPE: 'Bias',
  XPOSURE: 0,
  ITIME: '0.0',
  BIGINT: 12345678901234567890n,
  AUTOSHUT: false,
  EL: 45.004,
  ELSTR: '4.5D1',
  BLANK: '   ',
  NOVALUE: null,
  NAN: Number.NaN,
  CPLX: { re: 1, im: 2 },
  OUTDIR: '/s/sdata1001/deimos3/fcs',
  UT: '10:00:00.05',
});
const map = { UTC: ['UTC', 'UT'], DETECTOR: ['CAMERA', 'OUTDIR'], MISSING: ['NOVALUE', 'BLANK', 'NAN'] };
const holds = (c: Condition): boolean => evaluateCondition(c, header, map);

describe('resolveKeyword', () => {
  it('returns the first keyword of the map list that has a value', () => {
    expect(resolveKeyword({ keywordMap: map }, header, 'UTC')).toEqual({ keyword: 'UT', value: '10:00:00.05' });
    expect(resolveKeyword({ keywordMap: map }, header, 'DETECTOR')).toEqual({ keyword: 'CAMERA', value: 'BLUE    ' });
  });

  it('reads an unmapped name as a raw keyword', () => {
    expect(resolveKeyword({ keywordMap: map }, header, 'OBSTYPE')).toEqual({ keyword: 'OBSTYPE', value: 'Bias' });
    expect(resolveKeyword({ keywordMap: {} }, header, 'UTC')).toBeUndefined();
  });

  it('skips undefined, blank and NaN values', () => {
    expect(resolveKeyword({ keywordMap: map }, header, 'MISSING')).toBeUndefined();
    expect(resolveKeyword({ keywordMap: map }, header, 'XPOSURE')?.value).toBe(0);
    expect(resolveKeyword({ keywordMap: map }, header, 'AUTOSHUT')?.value).toBe(false);
  });
});

describe('evaluateCondition', () => {
  it('compares strings ignoring case and surrounding blanks unless asked', () => {
    expect(holds({ keyword: 'CAMERA', equals: 'blue' })).toBe(true);
    expect(holds({ keyword: 'CAMERA', equals: 'blue', caseSensitive: true })).toBe(false);
    expect(holds({ keyword: 'CAMERA', equals: 'BLUE', caseSensitive: true })).toBe(true);
    expect(holds({ keyword: 'DETECTOR', equals: 'BLUE' })).toBe(true);
  });

  it('compares numbers numerically, across numeric strings, bigints and logicals', () => {
    expect(holds({ keyword: 'XPOSURE', equals: 0 })).toBe(true);
    expect(holds({ keyword: 'ITIME', equals: 0 })).toBe(true);
    expect(holds({ keyword: 'ELSTR', equals: 45 })).toBe(true);
    expect(holds({ keyword: 'BIGINT', gt: 1e19 })).toBe(true);
    expect(holds({ keyword: 'AUTOSHUT', equals: 0 })).toBe(true);
    expect(holds({ keyword: 'AUTOSHUT', equals: false })).toBe(true);
    expect(holds({ keyword: 'AUTOSHUT', equals: 'F' })).toBe(true);
    expect(holds({ keyword: 'CAMERA', equals: 0 })).toBe(false);
  });

  it('supports in, matches, contains and ranges', () => {
    expect(holds({ keyword: 'OBSTYPE', in: ['dark', 'bias'] })).toBe(true);
    expect(holds({ keyword: 'XPOSURE', in: [1, 2] })).toBe(false);
    expect(holds({ keyword: 'OBSTYPE', matches: '^bias$', flags: 'i' })).toBe(true);
    expect(holds({ keyword: 'OBSTYPE', matches: '^bias$' })).toBe(false);
    expect(holds({ keyword: 'OUTDIR', contains: '/FCS' })).toBe(true);
    expect(holds({ keyword: 'OUTDIR', contains: '/FCS', caseSensitive: true })).toBe(false);
    expect(holds({ keyword: 'EL', gte: 44.99, lte: 45.01 })).toBe(true);
    expect(holds({ keyword: 'EL', gt: 45.004 })).toBe(false);
    expect(holds({ keyword: 'CAMERA', lt: 100 })).toBe(false);
  });

  it('treats missing values and complex values as failing keyword tests', () => {
    expect(holds({ keyword: 'ABSENT', equals: '' })).toBe(false);
    expect(holds({ keyword: 'NOVALUE', matches: '.*' })).toBe(false);
    expect(holds({ not: { keyword: 'ABSENT', equals: 'x' } })).toBe(true);
    expect(holds({ keyword: 'CPLX', matches: '.*' })).toBe(false);
    expect(holds({ exists: 'CPLX' })).toBe(true);
    expect(holds({ exists: 'BLANK' })).toBe(false);
    expect(holds({ exists: 'NOVALUE' })).toBe(false);
    expect(holds({ exists: 'UTC' })).toBe(true);
  });

  it('combines with all, any and not', () => {
    const bias: Condition = { all: [{ keyword: 'OBSTYPE', equals: 'bias' }, { keyword: 'XPOSURE', equals: 0 }] };
    expect(holds(bias)).toBe(true);
    expect(holds({ any: [{ exists: 'ABSENT' }, bias] })).toBe(true);
    expect(holds({ not: bias })).toBe(false);
    expect(holds({ all: [bias, { not: { exists: 'UTC' } }] })).toBe(false);
  });
});

describe('firstMatchingRule', () => {
  it('returns the first rule that holds, a rule without when always holding', () => {
    const rules = [
      { when: { keyword: 'CAMERA', equals: 'RED' } as Condition, out: 'red' },
      { when: { keyword: 'CAMERA', equals: 'BLUE' } as Condition, out: 'blue' },
      { out: 'other' },
    ];
    expect(firstMatchingRule(rules, header)).toEqual({ rule: rules[1], index: 1 });
    expect(firstMatchingRule(rules.slice(2), header)?.rule.out).toBe('other');
    expect(firstMatchingRule(rules.slice(0, 1), header)).toBeUndefined();
  });
});

describe('helpers', () => {
  it.each<[HeaderValue, number | undefined]>([
    ['  12 ', 12],
    ['1.5E3', 1500],
    ['2.0d-1', 0.2],
    ['.5', 0.5],
    ['12:00', undefined],
    [true, 1],
    [{ re: 1, im: 0 }, undefined],
  ])('valueNumber(%j) = %j', (value, expected) => {
    expect(valueNumber(value as Exclude<HeaderValue, null>)).toBe(expected);
  });

  it('tests UT windows, also across midnight', () => {
    const day = { start: '17:30', end: '03:30' };
    expect(isInUtWindow(day, 18 * 3600)).toBe(true);
    expect(isInUtWindow(day, 2 * 3600)).toBe(true);
    expect(isInUtWindow(day, 10 * 3600)).toBe(false);
    expect(isInUtWindow({ start: '06:00', end: '08:00' }, 7 * 3600)).toBe(true);
    expect(isInUtWindow({ start: '06:00', end: '08:00' }, 8 * 3600)).toBe(false);
  });
});
