import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIngestError } from '../../src/core/errors.js';
import {
  builtinInstrument,
  headerViewFrom,
  makeArchiveId,
  parseArchiveTemplate,
  parseInstrument,
  splitUtSeconds,
  utSecondsFromTime,
  type HeaderValue,
  type InstrumentInput,
} from '../../src/instruments/index.js';

const kcwi = builtinInstrument('kcwi');
const blue = headerViewFrom({ INSTRUME: 'KCWI', CAMERA: 'BLUE' });
const keckId = (time: string | number, date = '2024-03-05') =>
  makeArchiveId(kcwi, {
    header: blue,
    date,
    utSeconds: typeof time === 'number' ? time : utSecondsFromTime(time)!,
  }).id;

function failure(run: () => unknown): Error & { code: string; context: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    if (isIngestError(error)) return error as Error & { code: string; context: Record<string, unknown> };
    throw error;
  }
  throw new Error('expected a failure');
}

describe('keck scheme: PP.YYYYMMDD.SSSSS.hh', () => {
  it('builds the id from prefix, date, seconds and hundredths', () => {
    expect(makeArchiveId(kcwi, { header: blue, date: '2024-03-05', utSeconds: 36000.05 })).toEqual({
      id: 'KB.20240305.36000.05',
      prefix: 'KB',
    });
  });

  it.each([
    ['10:00:00.05', 'KB.20240305.36000.05'],
    ['10:00:00.050000', 'KB.20240305.36000.05'],
    ['10:00:00.5', 'KB.20240305.36000.50'],
    ['10:00:00.500000', 'KB.20240305.36000.50'],
    ['10:00:00.005', 'KB.20240305.36000.00'],
    ['10:00:00.099999', 'KB.20240305.36000.09'],
    ['10:00:00.999999', 'KB.20240305.36000.99'],
    ['10:00:00', 'KB.20240305.36000.00'],
    ['00:00:00.00', 'KB.20240305.00000.00'],
    ['00:00:07.07', 'KB.20240305.00007.07'],
    ['23:59:59.99', 'KB.20240305.86399.99'],
    ['23:59:59.999999', 'KB.20240305.86399.99'],
  ])('UT %s → %s (hundredths from the value, truncated)', (time, id) => {
    expect(keckId(time)).toBe(id);
  });

  it('never shows second 86400 or hundredths "100"', () => {
    expect(keckId(86399.999)).toBe('KB.20240305.86399.99');
    expect(keckId(86399.9999996)).toBe('KB.20240305.86399.99');
    expect(keckId(86399.99999999999)).toBe('KB.20240305.86399.99');
    expect(splitUtSeconds(86399.9999996)).toEqual({ seconds: 86399, micros: 999999 });
  });

  it('does not suffer from binary fractions (0.1 + 0.2, x.05, x.29)', () => {
    expect(keckId(0.1 + 0.2)).toBe('KB.20240305.00000.30');
    expect(keckId(1.29)).toBe('KB.20240305.00001.29');
    expect(keckId(4.35)).toBe('KB.20240305.00004.35');
    expect(keckId(36000 + 0.05)).toBe('KB.20240305.36000.05');
  });

  it('matches the hundredths of every time string exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999_999 }),
        (h, m, s, us) => {
          const two = (n: number) => String(n).padStart(2, '0');
          const fraction = String(us).padStart(6, '0');
          const id = keckId(`${two(h)}:${two(m)}:${two(s)}.${fraction}`);
          const seconds = h * 3600 + m * 60 + s;
          expect(id).toBe(`KB.20240305.${String(seconds).padStart(5, '0')}.${fraction.slice(0, 2)}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('orders ids like times within a day (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 86_399.999_999, noNaN: true }), fc.double({ min: 0, max: 86_399.999_999, noNaN: true }), (a, b) => {
        const [x, y] = [keckId(a), keckId(b)];
        if (a < b) expect(x <= y).toBe(true);
        expect(x).toMatch(/^KB\.20240305\.\d{5}\.\d{2}$/);
      }),
    );
  });

  it('uses the default prefix when no rule applies', () => {
    const hires = builtinInstrument('hires');
    expect(makeArchiveId(hires, { header: headerViewFrom({}), date: '1999-12-31', utSeconds: 1 }).id).toBe('HI.19991231.00001.00');
  });

  it('fails with ARCHIVE_ID_FAILED when no prefix applies, naming the field', () => {
    const error = failure(() => makeArchiveId(kcwi, { header: headerViewFrom({ CAMERA: 'GREEN' }), date: '2024-03-05', utSeconds: 1 }));
    expect(error.code).toBe('ARCHIVE_ID_FAILED');
    expect(error.context.field).toBe('archiveId.prefixRules');
    expect(error.message).toMatch(/no prefix rule of KCWI matches this header/);
  });

  it.each([['2024-02-30'], ['2024-13-01'], ['20240305'], ['2024-3-5'], ['']])('rejects the date %j', (date) => {
    expect(failure(() => keckId(1, date)).code).toBe('ARCHIVE_ID_FAILED');
  });

  it.each([[-0.001], [86400], [Number.NaN], [Number.POSITIVE_INFINITY]])('rejects UT seconds %d', (seconds) => {
    expect(failure(() => keckId(seconds)).message).toMatch(/is not in \[0, 86400\)/);
  });

  it('accepts 29 February in leap years only', () => {
    expect(keckId(1, '2024-02-29')).toBe('KB.20240229.00001.00');
    expect(failure(() => keckId(1, '2023-02-29')).code).toBe('ARCHIVE_ID_FAILED');
  });
});

describe('utSecondsFromTime', () => {
  it.each<[string, number | undefined]>([
    ['10:00:00.05', 36000.05],
    ['10:00:00.050000', 36000.05],
    ['10:00:00.0500001', 36000.05],
    [' 07:30 ', 27000],
    ['23:59:59', 86399],
    ['24:00:00', undefined],
    ['10:60:00', undefined],
    ['10:00:60', undefined],
    ['10-00-00', undefined],
    ['', undefined],
  ])('%j → %j', (text, seconds) => {
    expect(utSecondsFromTime(text)).toBe(seconds);
  });
});

function templated(template: string, extra: Partial<InstrumentInput['archiveId']> = {}) {
  return parseInstrument({ name: 'CAM', archiveId: { scheme: 'template', template, ...extra } }, 'test');
}

describe('template scheme', () => {
  const header = headerViewFrom({ FRAMENO: 42, OBSID: 'ab-12', BADID: 'a b', BIG: 12n, CPLX: { re: 1, im: 1 } } as Record<string, HeaderValue>);
  const at = { header, date: '2024-03-05', utSeconds: utSecondsFromTime('01:02:03.456789')! };

  it.each([
    ['{INSTRUMENT}_{DATE:YYYYMMDD}T{TIME:HHMMSS}', 'CAM_20240305T010203'],
    ['{INSTRUMENT:lower}.{DATE:YYYY-MM-DD}.{TIME:HH.MM.SS}', 'cam.2024-03-05.01.02.03'],
    ['{INSTRUMENT:upper}{DATE:YYMMDD}_{SECONDS}', 'CAM240305_03723'],
    ['X.{SECONDS:6}.{FRACTION:1}', 'X.003723.4'],
    ['X.{SECONDS}.{FRACTION}', 'X.03723.45'],
    ['X.{SECONDS}.{FRACTION:6}', 'X.03723.456789'],
    ['n{KEYWORD:FRAMENO:4}', 'n0042'],
    ['n{KEYWORD:FRAMENO}', 'n42'],
    ['{KEYWORD:OBSID}', 'ab-12'],
    ['{KEYWORD:BIG:4}', '0012'],
  ])('%s → %s', (template, id) => {
    expect(makeArchiveId(templated(template), at)).toEqual({ id, prefix: undefined });
  });

  it('uses the prefix, the digest and the sequence', () => {
    const d = templated('{PREFIX}-{DIGEST:6}-{SEQUENCE:5}', { defaultPrefix: 'obs' });
    expect(makeArchiveId(d, { ...at, digest: 'ABCDEF0123', sequence: 7 })).toEqual({ id: 'obs-abcdef-00007', prefix: 'obs' });
  });

  it('builds the generic fallback id from date, time and digest', () => {
    const generic = builtinInstrument('generic');
    expect(makeArchiveId(generic, { ...at, digest: '0123456789abcdef' }).id).toBe('FITS.20240305.03723.45.01234567');
  });

  it('rebuilds CFHT file names from EXPNUM and OBSTYPE', () => {
    const megaprime = builtinInstrument('megaprime');
    const flat = headerViewFrom({ INSTRUME: 'MegaPrime', OBSTYPE: 'FLAT', EXPNUM: 2345678 });
    expect(makeArchiveId(megaprime, { header: flat, date: '2024-03-05', utSeconds: 0 })).toEqual({ id: '2345678f', prefix: 'f' });
    const focus = headerViewFrom({ INSTRUME: 'MegaPrime', OBSTYPE: 'FOCUS', EXPNUM: 2345679 });
    expect(failure(() => makeArchiveId(megaprime, { header: focus, date: '2024-03-05', utSeconds: 0 })).code).toBe('ARCHIVE_ID_FAILED');
  });

  it('fails when a value the template needs is missing or unusable', () => {
    expect(failure(() => makeArchiveId(templated('{KEYWORD:NOPE}'), at)).context.keyword).toBe('NOPE');
    expect(failure(() => makeArchiveId(templated('{KEYWORD:BADID}'), at)).message).toMatch(/BADID = a b cannot go in an archive id/);
    expect(failure(() => makeArchiveId(templated('{KEYWORD:CPLX}'), at)).code).toBe('ARCHIVE_ID_FAILED');
    expect(failure(() => makeArchiveId(templated('{DIGEST:8}'), at)).message).toMatch(/needs a hex digest/);
    expect(failure(() => makeArchiveId(templated('{DIGEST:8}'), { ...at, digest: 'abc' })).code).toBe('ARCHIVE_ID_FAILED');
    expect(failure(() => makeArchiveId(templated('{SEQUENCE}'), { ...at, sequence: -1 })).code).toBe('ARCHIVE_ID_FAILED');
  });
});

describe('parseArchiveTemplate', () => {
  it.each([
    ['{DATE:YYYYMMDD}', /at least one of SECONDS/],
    ['{DATE:YYYY/MM/DD}.{SECONDS}', /DATE:format/],
    ['{TIME:HH:MM:SS}', /TIME:format/],
    ['{SECONDS:4}', /width from 5 to 12/],
    ['{FRACTION:7}', /1 to 6 digits/],
    ['{DIGEST:2}', /length from 4 to 64/],
    ['{KEYWORD:lower}', /upper-case keyword/],
    ['{PREFIX:x}.{SECONDS}', /takes no argument/],
    ['{SECONDS}/{FRACTION}', /literal text "\/"/],
    ['{SECONDS}}', /unbalanced brace/],
    ['{{SECONDS}', /unbalanced brace/],
    ['{seconds}', /unbalanced brace/],
    ['{NOPE}', /unknown token \{NOPE\}/],
  ])('rejects %s', (template, message) => {
    const parsed = parseArchiveTemplate(template);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('parses a NOAO-like template', () => {
    expect(parseArchiveTemplate('{INSTRUMENT}_{DATE:YYYYMMDD}T{TIME:HHMMSS}')).toEqual({
      ok: true,
      parts: [
        { kind: 'instrument', letterCase: 'as-is' },
        { kind: 'literal', text: '_' },
        { kind: 'date', pieces: ['YYYY', 'MM', 'DD'] },
        { kind: 'literal', text: 'T' },
        { kind: 'time', pieces: ['HH', 'MM', 'SS'] },
      ],
    });
  });
});
