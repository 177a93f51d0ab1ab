import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Header } from '../../../src/core/fits/header.js';
import { IngestError, isIngestError } from '../../../src/core/errors.js';
import { card, headerText, latin1, primary } from '../../helpers/fits.js';

const parse = (lines: string[], strict = false) => Header.parse(latin1(headerText(lines)), { strict }).header;

describe('Header.parse', () => {
  it('re-serializes odd-but-legal and malformed cards byte for byte', () => {
    const text = headerText([
      ...primary(),
      'FREE    =   42     /   free-format integer',
      "STR     =    'spaced'   /comment without space",
      'lower   = 1.5e3 / lowercase keyword and exponent',
      'COMMENT caf\u00e9 \u00ff non-ASCII bytes in a comment',
      'BROKEN  = 12abc / not a value',
      "UNCLOSED= 'no closing quote",
      'NOVALUE  commentary without value indicator',
      '',
      "LONG    = 'first part &'",
      "CONTINUE  'second part' / joined",
    ]);
    const bytes = latin1(text);
    const { header, byteLength } = Header.parse(bytes);
    expect(byteLength).toBe(2880);
    expect(Buffer.from(header.toBytes()).equals(Buffer.from(bytes))).toBe(true);
    expect(header.get('LONG')).toBe('first part second part');
    expect(header.get('LOWER')).toBe(1500);
    expect(header.get('BROKEN')).toBeUndefined();
    expect(header.card('BROKEN')?.kind).toBe('malformed');
    expect(header.issues.map((i) => i.code).sort()).toEqual(
      ['BAD_VALUE', 'LOWERCASE_EXPONENT', 'LOWERCASE_KEYWORD', 'NON_ASCII', 'UNTERMINATED_STRING'].sort(),
    );
  });

  it('keeps junk after END and reports it', () => {
    const text = headerText(primary()).slice(0, 2880 - 80) + card('junk after end');
    const { header } = Header.parse(latin1(text));
    expect(header.issues.map((i) => i.code)).toEqual(['DATA_AFTER_END']);
    expect(Buffer.from(header.toBytes()).toString('latin1')).toBe(text);
  });

  it('strict mode throws one error listing every violation with its card number', () => {
    const lines = [...primary(), 'lower   = 1', 'X       =2', 'DUP     = 1', 'DUP     = 2'];
    try {
      parse(lines, true);
      expect.unreachable();
    } catch (e) {
      expect(isIngestError(e, 'NONCONFORMING_HEADER')).toBe(true);
      const error = e as IngestError;
      expect(error.context.issues).toEqual(['4:LOWERCASE_KEYWORD', '5:BAD_VALUE_INDICATOR', '7:DUPLICATE_KEYWORD']);
      expect(error.message).toContain('card 7 (DUP): DUPLICATE_KEYWORD');
    }
    expect(parse(lines).issues).toHaveLength(3);
  });

  it('checks the order and fixed format of mandatory keywords', () => {
    const codes = (lines: string[]) => parse(lines).issues.map((i) => `${i.card}:${i.code}:${i.keyword}`);
    expect(codes(['BITPIX  =                    8', 'SIMPLE  =                    T', 'NAXIS   =                    0'])).toEqual([
      '1:MANDATORY_ORDER:SIMPLE',
      '2:MANDATORY_ORDER:BITPIX',
    ]);
    expect(codes(['SIMPLE  = T', 'BITPIX  =                    8', 'NAXIS   =                    0'])).toEqual([
      '1:NOT_FIXED_FORMAT:SIMPLE',
    ]);
    expect(codes(["XTENSION= 'IMAGE'", 'BITPIX  =                    8', 'NAXIS   =                    0', 'GCOUNT  =                    1'])).toContain(
      '4:MANDATORY_ORDER:PCOUNT',
    );
    expect(codes(primary([10, 20]))).toEqual([]);
  });

  it('fails with MISSING_END when there is no END card', () => {
    const bytes = latin1(headerText(primary(), { end: false }));
    expect(() => Header.parse(bytes, { context: { file: 'x.fits' } })).toThrow(/x\.fits.*no END card.*MISSING_END/);
  });

  it('accepts a header cut short after END in lenient mode only', () => {
    const text = primary().map(card).join('') + card('END');
    const { header, byteLength } = Header.parse(latin1(text));
    expect(byteLength).toBe(text.length);
    expect(header.issues.map((i) => i.code)).toEqual(['NO_END_PADDING']);
    expect(() => Header.parse(latin1(text), { strict: true })).toThrow(/NO_END_PADDING/);
  });
});

describe('Header access and edits', () => {
  const base = () =>
    parse([
      ...primary([4, 4], 16),
      "OBJECT  = 'M13     '           / target",
      'EXPTIME =                 30.0 / seconds',
      'BIG     = 123456789012345678901234567890',
      'CPLX    = (1.0, 2.0)',
      'UNDEF   =',
      "HIERARCH ESO DET CHIP ID = 'CCD-44'",
      '',
      '',
    ]);

  it('gives typed values and refuses the wrong type', () => {
    const h = base();
    expect(h.getString('OBJECT')).toBe('M13');
    expect(h.getString('object')).toBe('M13');
    expect(h.getNumber('EXPTIME')).toBe(30);
    expect(h.getInteger('NAXIS1')).toBe(4);
    expect(h.getBigInt('BIG')).toBe(123456789012345678901234567890n);
    expect(h.getBigInt('NAXIS2')).toBe(4n);
    expect(h.getBoolean('SIMPLE')).toBe(true);
    expect(h.getComplex('CPLX')).toEqual({ re: 1, im: 2 });
    expect(h.get('UNDEF')).toBeNull();
    expect(h.getString('UNDEF')).toBeUndefined();
    expect(h.get('MISSING')).toBeUndefined();
    expect(h.getString('HIERARCH ESO DET CHIP ID')).toBe('CCD-44');
    expect(h.getString('ESO DET CHIP ID')).toBe('CCD-44');
    expect(h.comment('OBJECT')).toBe('target');
    expect(() => h.getString('EXPTIME')).toThrow(/WRONG_VALUE_TYPE/);
    expect(() => h.getInteger('EXPTIME')).toThrow(/WRONG_VALUE_TYPE/);
    expect(() => h.getNumber('BIG')).toThrow(/WRONG_VALUE_TYPE/);
  });

  it('changes one card and leaves every other byte as it was', () => {
    const h = base();
    const before = Buffer.from(h.toBytes()).toString('latin1');
    h.set('EXPTIME', 45);
    const after = Buffer.from(h.toBytes()).toString('latin1');
    const changed = [...Array(36).keys()].filter((i) => before.slice(i * 80, i * 80 + 80) !== after.slice(i * 80, i * 80 + 80));
    expect(changed).toEqual([6]);
    expect(after.slice(480, 560)).toBe(card('EXPTIME =                 45.0 / seconds'));
  });

  it('puts new keywords in the trailing blank space, then grows by whole blocks', () => {
    const h = base();
    const length = h.length;
    h.set('NEWKEY', 'value', 'new');
    expect(h.length).toBe(length);
    expect(h.indexOf('NEWKEY')).toBe(length - 2);
    h.set('ANOTHER', 1).set('THIRD', 2);
    expect(h.length).toBe(length + 1);
    for (let i = 0; i < 40; i++) h.set(`K${i}`, i);
    expect(h.byteLength).toBe(5760);
    const back = Header.parse(h.toBytes()).header;
    expect(back.get('K39')).toBe(39);
    expect(back.issues).toEqual([]);
  });

  it('inserts, deletes and adds commentary', () => {
    const h = base();
    h.set('FIRST', 1, undefined, { after: 'NAXIS2' });
    expect(h.indexOf('FIRST')).toBe(h.indexOf('NAXIS2') + 1);
    h.set('BEFORE', 2, undefined, { before: 'OBJECT' });
    expect(h.indexOf('BEFORE')).toBe(h.indexOf('OBJECT') - 1);
    expect(h.delete('FIRST')).toBe(true);
    expect(h.delete('FIRST')).toBe(false);
    h.addHistory('x'.repeat(100));
    const history = h.cards().filter((c) => c.keyword === 'HISTORY');
    expect(history).toHaveLength(1);
    const back = Header.parse(h.toBytes()).header;
    expect(back.cards().filter((c) => c.keyword === 'HISTORY').map((c) => c.comment).join('')).toBe('x'.repeat(100));
    expect(() => h.set('X', 1, undefined, { after: 'NOPE' })).toThrow(/NO_SUCH_KEYWORD/);
  });

  it('writes long strings with CONTINUE and reads them back', () => {
    const h = base();
    const text = 'A very long observer name, '.repeat(8).trim();
    h.set('OBSERVER', text, 'long');
    const back = Header.parse(h.toBytes()).header;
    expect(back.getString('OBSERVER')).toBe(text);
    expect(back.comment('OBSERVER')).toBe('long');
  });

  it('serializes to JSON in card order', () => {
    const json = base().toJSON();
    expect(json[0]).toEqual({ keyword: 'SIMPLE', value: true, comment: '' });
    expect(json.find((c) => c.keyword === 'HIERARCH ESO DET CHIP ID')?.value).toBe('CCD-44');
  });
});

describe('header parser fuzzing', () => {
  const expectOnlyTypedErrors = (bytes: Uint8Array) => {
    try {
      const { header } = Header.parse(bytes);
      header.toBytes();
      for (const c of header) void header.get(c.keyword);
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
    }
  };

  it('never throws anything but IngestError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 6000 }), (bytes) => expectOnlyTypedErrors(bytes)),
      { numRuns: 300 },
    );
  });

  it('never throws anything but IngestError on mutated real headers', () => {
    const good = latin1(
      headerText([
        ...primary([100, 200], -32),
        "OBJECT  = 'NGC 1234'           / target",
        "LONG    = 'abc&'",
        "CONTINUE  'def&'",
        "CONTINUE  'ghi'",
        'HIERARCH ESO INS FILT1 NAME = 1.5',
        'CPLX    = (1, 2)',
      ]),
    );
    const alphabet = [..." '=/()&ETFDE+-.0123456789ABCZ"].map((c) => c.charCodeAt(0));
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(good.length - 1), byte: fc.oneof(fc.constantFrom(...alphabet), fc.nat(255)) }), {
          maxLength: 40,
        }),
        (mutations) => {
          const bytes = good.slice();
          for (const m of mutations) bytes[m.at] = m.byte;
          expectOnlyTypedErrors(bytes); // a hang fails the test by its timeout
        },
      ),
      { numRuns: 2000 },
    );
  });
});
