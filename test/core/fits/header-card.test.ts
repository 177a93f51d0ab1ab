import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCard, formatReal } from '../../../src/core/fits/card-format.js';
import { parseCard, type Card } from '../../../src/core/fits/header-card.js';
import { isIngestError } from '../../../src/core/errors.js';

const card = (text: string): string => text.padEnd(80);
const parse = (text: string) => parseCard(card(text));

describe('parseCard', () => {
  it('reads each value type with its comment', () => {
    expect(parse('SIMPLE  =                    T / conforms').card).toMatchObject({
      keyword: 'SIMPLE',
      kind: 'value',
      value: true,
      valueType: 'logical',
      comment: 'conforms',
    });
    expect(parse('EXTEND  = F').card.value).toBe(false);
    expect(parse('NAXIS1  =                 2048').card).toMatchObject({ value: 2048, valueType: 'integer' });
    expect(parse('NEG     = -17 / minus').card).toMatchObject({ value: -17, comment: 'minus' });
    expect(parse('EXPTIME =                 30.0').card).toMatchObject({ value: 30, valueType: 'real' });
    expect(parse('SMALL   = 1.5E-300').card.value).toBe(1.5e-300);
    expect(parse('DEXP    = 2.5D+03').card.value).toBe(2500);
    expect(parse('NODOT   = 1E5').card).toMatchObject({ value: 1e5, valueType: 'real' });
    expect(parse('LEADDOT = .25').card.value).toBe(0.25);
    expect(parse('CPLX    = (1.5, -2.0E1) / c').card).toMatchObject({ value: { re: 1.5, im: -20 }, valueType: 'complex' });
    expect(parse('CPLXI   = (3, 4)').card.value).toEqual({ re: 3, im: 4 });
  });

  it('keeps every digit of integers too large for a double', () => {
    const big = parse('BIG     = 123456789012345678901234567890').card;
    expect(big.value).toBe(123456789012345678901234567890n);
    expect(parse('MAXSAFE = 9007199254740991').card.value).toBe(9007199254740991);
    expect(parse('PASTSAFE= 9007199254740993').card.value).toBe(9007199254740993n);
    expect(parse('NEGBIG  = -99999999999999999999').card.value).toBe(-99999999999999999999n);
  });

  it('reads strings: doubled quotes, significant leading and insignificant trailing spaces, null string', () => {
    expect(parse("OBJECT  = 'O''Brien '  / who").card).toMatchObject({ value: "O'Brien", comment: 'who' });
    expect(parse("LEAD    = '  indented'").card.value).toBe('  indented');
    expect(parse("EMPTY   = ''").card.value).toBe('');
    expect(parse("BLANKS  = '        '").card.value).toBe('');
    expect(parse("SLASH   = 'a/b' / c/d").card).toMatchObject({ value: 'a/b', comment: 'c/d' });
    expect(parse("QUOTES  = ''''''").card.value).toBe("''");
  });

  it('reads undefined values as null', () => {
    expect(parse('UNDEF   =').card).toMatchObject({ kind: 'value', value: null, valueType: 'undefined' });
    expect(parse('UNDEF   =              / why').card).toMatchObject({ value: null, comment: 'why' });
  });

  it('reads commentary, END, HIERARCH and CONTINUE cards', () => {
    expect(parse('COMMENT   some text').card).toMatchObject({ kind: 'commentary', keyword: 'COMMENT', comment: '  some text' });
    expect(parse('HISTORY = not a value').card).toMatchObject({ kind: 'commentary', comment: '= not a value' });
    expect(parse('').card).toMatchObject({ kind: 'commentary', keyword: '', comment: '' });
    expect(parse('NOVALUE  just text').card).toMatchObject({ kind: 'commentary', keyword: 'NOVALUE' });
    expect(parse('END').card.kind).toBe('end');
    expect(parse("HIERARCH ESO DET CHIP ID = 'CCD-44' / chip").card).toMatchObject({
      keyword: 'ESO DET CHIP ID',
      hierarch: true,
      value: 'CCD-44',
      comment: 'chip',
    });
    expect(parse('HIERARCH ESO TEL AIRM=1.25').card).toMatchObject({ keyword: 'ESO TEL AIRM', value: 1.25 });
    const cont = parse("CONTINUE  'piece&' / more");
    expect(cont.card.kind).toBe('commentary');
    expect(cont.continuation).toEqual({ piece: 'piece&', comment: 'more' });
  });

  it('reports violations with codes and card numbers instead of throwing', () => {
    const codes = (text: string) => parseCard(card(text), 7).issues.map((i) => [i.code, i.card]);
    expect(codes('lower   = 1')).toEqual([['LOWERCASE_KEYWORD', 7]]);
    expect(codes('BAD!KEY = 1')).toEqual([['BAD_KEYWORD_CHAR', 7]]);
    expect(codes('KEY     =1')).toEqual([['BAD_VALUE_INDICATOR', 7]]);
    expect(codes('REAL    = 1.0e5')).toEqual([['LOWERCASE_EXPONENT', 7]]);
    expect(codes("STR     = 'abc' junk")).toEqual([['TEXT_AFTER_VALUE', 7]]);
    expect(codes('END     xyz')).toEqual([['END_NOT_BLANK', 7]]);
    expect(codes('COMMENT caf\u00e9')).toEqual([['NON_ASCII', 7]]);
  });

  it('keeps unreadable cards as malformed with their raw bytes', () => {
    for (const text of ["STR     = 'no end", 'VAL     = 12abc', 'VAL     = (1, 2']) {
      const parsed = parse(text);
      expect(parsed.card.kind).toBe('malformed');
      expect(parsed.card.raw).toBe(card(text));
      expect(formatCard(parsed.card)).toBe(card(text));
      expect(parsed.issues[0]?.code).toMatch(/BAD_VALUE|UNTERMINATED_STRING/);
    }
  });

  it('rejects images that are not 80 characters', () => {
    expect(() => parseCard('SHORT')).toThrow(/80 characters/);
  });
});

describe('formatCard', () => {
  const value = (keyword: string, v: Card['value'], extra: Partial<Card> = {}): string =>
    formatCard({ keyword, kind: 'value', value: v, ...extra });

  it('writes the fixed format: numbers end in column 30, strings start in column 11', () => {
    const n = value('NAXIS1', 2048, { comment: 'width' });
    expect(n).toHaveLength(80);
    expect(n.slice(0, 10)).toBe('NAXIS1  = ');
    expect(n[29]).toBe('8');
    expect(n.slice(30, 33)).toBe(' / ');
    expect(value('SIMPLE', true)[29]).toBe('T');
    const s = value('XTENSION', 'IMAGE');
    expect(s.slice(10, 20)).toBe("'IMAGE   '");
  });

  it('escapes quotes and keeps reals exact', () => {
    expect(value('OBJECT', "it's")).toMatch(/^OBJECT  = 'it''s   ' +$/);
    expect(value('R', 30, { valueType: 'real' }).trim()).toBe('R       =                 30.0');
    expect(formatReal(1e-7)).toBe('1.0E-7');
    expect(formatReal(-0)).toBe('-0.0');
    expect(formatReal(1.5e300)).toBe('1.5E+300');
    for (const x of [0.1, 1 / 3, Math.PI, 6.02214076e23, 5e-324, Number.MAX_VALUE]) {
      expect(parse(value('X', x)).card.value).toBe(x);
    }
    expect(value('BIG', 123456789012345678901234567890n)).toContain('123456789012345678901234567890');
    expect(value('C', { re: 1, im: -0.5 })).toContain('(1.0, -0.5)');
    expect(value('U', null, { comment: 'undefined' })).toBe(card('U       =                      / undefined'));
  });

  it('continues long strings on CONTINUE cards without splitting a doubled quote', () => {
    const text = `${'a'.repeat(66)}'${'b'.repeat(90)}`;
    const image = value('LONG', text, { comment: 'note' });
    expect(image.length % 80).toBe(0);
    expect(image.length).toBeGreaterThan(160);
    const cards = image.match(/.{80}/g)!;
    expect(cards.slice(1).every((c) => c.startsWith('CONTINUE  '))).toBe(true);
    for (const c of cards.slice(0, -1)) expect(c.trimEnd().endsWith("&'")).toBe(true);
    expect(cards.at(-1)).toContain('/ note');
  });

  it('returns the raw image of untouched cards byte for byte', () => {
    const odd = card("KEY     =    'odd'      /    spacing kept");
    expect(formatCard(parseCard(odd).card)).toBe(odd);
  });

  it('refuses what cannot be written', () => {
    const fails = (f: () => unknown, code: string) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isIngestError(e, code as never)).toBe(true);
      }
    };
    fails(() => value('TOOLONGKEY', 1), 'BAD_KEYWORD');
    fails(() => value('bad key', 1), 'BAD_KEYWORD');
    fails(() => value('NAN', Number.NaN), 'WRONG_VALUE_TYPE');
    fails(() => value('INF', Number.POSITIVE_INFINITY), 'WRONG_VALUE_TYPE');
    fails(() => value('UTF', 'café'), 'WRONG_VALUE_TYPE');
    fails(() => formatCard({ keyword: 'COMMENT', kind: 'commentary', comment: 'tab\there' }), 'WRONG_VALUE_TYPE');
  });
});

describe('parse ∘ format round trip (property)', () => {
  const keyword = fc.stringMatching(/^[A-Z][A-Z0-9_-]{0,7}$/).filter((k) => !['END', 'COMMENT', 'HISTORY', 'CONTINUE', 'HIERARCH'].includes(k));
  const printable = fc.stringMatching(/^[ -~]*$/);
  const text = printable.map((s) => s.slice(0, 60));
  const values = fc.oneof(
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).filter((b) => !Number.isSafeInteger(Number(b))),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.record({ re: fc.double({ noNaN: true, noDefaultInfinity: true }), im: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    text.map((s) => s.replace(/ +$/, '')),
    fc.constant(null),
  );

  it('gives back the same keyword, value and comment', () => {
    fc.assert(
      fc.property(keyword, values, printable.map((s) => s.trim().slice(0, 20)), (kw, v, comment) => {
        const image = formatCard({ keyword: kw, kind: 'value', value: v, comment });
        expect(image.length).toBe(80);
        const { card: back, issues } = parseCard(image);
        expect(issues).toEqual([]);
        expect(back.keyword).toBe(kw);
        if (typeof v === 'number' && Object.is(v, -0)) expect(Object.is(back.value, -0)).toBe(true);
        else expect(back.value).toEqual(v);
        expect(back.comment).toBe(comment);
      }),
      { numRuns: 2000 },
    );
  });

  it('formats parsed cards back to the same image', () => {
    fc.assert(
      fc.property(keyword, values, (kw, v) => {
        const image = formatCard({ keyword: kw, kind: 'value', value: v });
        const parsed = parseCard(image).card;
        const { raw: _raw, ...rebuilt } = parsed;
        expect(formatCard(rebuilt)).toBe(image);
      }),
      { numRuns: 1000 },
    );
  });
});
