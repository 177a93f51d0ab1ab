import { describe, expect, it } from 'vitest';
import { isIngestError, type IngestError } from '../../src/core/errors.js';
import { parseInstrument, type InstrumentInput } from '../../src/instruments/index.js';

const minimal: InstrumentInput = {
  name: 'TESTCAM',
  archiveId: { defaultPrefix: 'TC' },
  keywordTable: [
    { keyword: 'OBJECT', type: 'string', width: 68 },
    { keyword: 'EXPTIME', type: 'real', min: 0 },
    { keyword: 'FRAMENO', type: 'integer' },
    { keyword: 'FILTER', type: 'string' },
  ],
};

/** The error parseInstrument throws for `data`. */
function failure(data: unknown, source = 'cams/testcam.yaml'): IngestError {
  try {
    parseInstrument(data, source);
  } catch (error) {
    if (isIngestError(error, 'INSTRUMENT_CONFIG_INVALID')) return error;
    throw error;
  }
  throw new Error('expected parseInstrument to fail');
}

const withTable = (index: number, patch: object): unknown => ({
  ...minimal,
  keywordTable: minimal.keywordTable!.map((e, i) => (i === index ? { ...e, ...patch } : e)),
});

describe('parseInstrument', () => {
  it('fills in defaults', () => {
    const d = parseInstrument(minimal, 'mem');
    expect(d.aliases).toEqual([]);
    expect(d.archiveId).toEqual({ scheme: 'keck', prefixRules: [], defaultPrefix: 'TC' });
    expect(d.imageTypeFallback).toBe('undefined');
    expect(d.proprietaryMonths).toBe(18);
    expect(d.site).toEqual({ utcOffsetHours: 0 });
    expect(d.dateRepair).toEqual({
      dateFormats: ['iso-date', 'iso-datetime', 'dmy-slash'],
      twoDigitYearPivot: 50,
      timeFromDateTime: true,
      onInvalidDate: 'file-mtime',
      onInvalidTime: 'file-mtime',
    });
    expect(d.outputKeywords).toEqual({
      archiveId: 'KOAID',
      imageType: 'KOAIMTYP',
      semester: 'SEMESTER',
      proprietaryMonths: 'PROPINT',
      level: 'DATLEVEL',
    });
    expect(d.paths).toEqual({ accept: [], reject: [] });
    expect(d.keywordTable[1]).toEqual({ keyword: 'EXPTIME', column: 'exptime', type: 'real', min: 0, nullable: true, source: 'header' });
  });

  it('names the file and the field of a bad column type', () => {
    const error = failure(withTable(3, { type: 'text' }));
    expect(error.kind).toBe('usage');
    expect(error.context).toMatchObject({ file: 'cams/testcam.yaml', field: 'keywordTable[3].type' });
    expect(error.message).toMatch(/^cams\/testcam\.yaml, field keywordTable\[3\]\.type: Invalid option/);
    expect(error.message).toContain('"string"|"integer"|"real"|"boolean"|"date"|"datetime"');
  });

  it('reports a bad regular expression at load, with its path inside nested conditions', () => {
    const error = failure({
      ...minimal,
      imageTypeRules: [{ when: { all: [{ exists: 'OBSTYPE' }, { not: { keyword: 'OBSTYPE', matches: '^(bias' } }] }, type: 'bias' }],
    });
    expect(error.context.field).toBe('imageTypeRules[0].when.all[1].not.matches');
    expect(error.detail).toMatch(/^invalid regular expression: .*Unterminated group/);
  });

  it('rejects stateful or unknown regex flags', () => {
    const error = failure({ ...minimal, detect: { keyword: 'OUTDIR', matches: 'x', flags: 'gi' } });
    expect(error.context.field).toBe('detect.flags');
  });

  it('reports an unknown condition shape', () => {
    const error = failure({ ...minimal, archiveId: { prefixRules: [{ when: { keywrd: 'CAMERA', equals: 'BLUE' }, prefix: 'TB' }] } });
    expect(error.context.field).toBe('archiveId.prefixRules[0].when');
    expect(error.detail).toContain('unknown condition shape (keys: keywrd, equals); expected one of keyword, exists, all, any, not');
  });

  it('reports conditions with no test or two kinds of test', () => {
    expect(failure({ ...minimal, detect: { keyword: 'CAMERA' } }).detail).toMatch(/needs one test/);
    expect(failure({ ...minimal, detect: { keyword: 'CAMERA', equals: 'A', contains: 'B' } }).detail).toMatch(
      /exactly one kind of test, found equals and contains/,
    );
    expect(failure({ ...minimal, detect: { exists: 'A', all: [] } }).detail).toMatch(/found exists and all/);
    expect(failure({ ...minimal, detect: { keyword: 'EL', gt: 50, lt: 40 } }).detail).toMatch(/empty range/);
    expect(failure({ ...minimal, detect: { any: [] } }).context.field).toBe('detect.any');
    expect(failure({ ...minimal, detect: 'CAMERA=BLUE' }).detail).toMatch(/a condition is an object/);
  });

  it('reports a missing required field', () => {
    const { name: _name, ...nameless } = minimal;
    const error = failure(nameless);
    expect(error.context.field).toBe('name');
    expect(error.detail).toBe('required field is missing (expected string)');
    expect(failure({ ...minimal, calibrationRules: [{ calibrationTypes: ['bias'] }] }).context.field).toBe(
      'calibrationRules[0].withinHours',
    );
  });

  it('reports misspelled fields by name', () => {
    const error = failure({ ...minimal, keywrodMap: {} });
    expect(error.context.field).toBe('keywrodMap');
    expect(error.detail).toBe('unknown field "keywrodMap" (check the spelling)');
    expect(failure({ ...minimal, detect: { keyword: 'A', equals: 1, nocase: true } }).context.field).toBe('detect.nocase');
  });

  it('checks keywords, map lists and names', () => {
    expect(failure({ ...minimal, keywordMap: { UTC: [] } }).context.field).toBe('keywordMap.UTC');
    expect(failure({ ...minimal, keywordMap: { UTC: ['ut'] } }).context.field).toBe('keywordMap.UTC[0]');
    expect(failure({ ...minimal, keywordMap: { UTC: ['UTCLONGER1'] } }).context.field).toBe('keywordMap.UTC[0]');
    expect(failure({ ...minimal, name: '1cam' }).context.field).toBe('name');
  });

  it('checks keyword-table entries', () => {
    expect(failure(withTable(1, { width: 8 })).context.field).toBe('keywordTable[1].width');
    expect(failure(withTable(0, { min: 1 })).context.field).toBe('keywordTable[0].min');
    expect(failure(withTable(1, { min: 5, max: 1 })).context.field).toBe('keywordTable[1].max');
    expect(failure(withTable(2, { allowed: [1, 2.5] })).context.field).toBe('keywordTable[2].allowed[1]');
    expect(failure(withTable(0, { width: 3, allowed: ['long'] })).detail).toMatch(/longer than width 3/);
    expect(failure(withTable(3, { column: 'object' })).detail).toBe('duplicate column "object" (also keywordTable[0])');
    expect(failure(withTable(3, { column: 'drop table' })).context.field).toBe('keywordTable[3].column');
  });

  it('checks the archive-id settings', () => {
    expect(failure({ ...minimal, archiveId: {} }).context.field).toBe('archiveId');
    expect(failure({ ...minimal, archiveId: { defaultPrefix: 'TCX' } }).detail).toBe('keck prefixes are 2 of A-Z 0-9');
    expect(failure({ ...minimal, archiveId: { scheme: 'template', defaultPrefix: 'T' } }).context.field).toBe('archiveId.template');
    expect(failure({ ...minimal, archiveId: { scheme: 'template', template: '{PREFIX}.{SECONDS}' } }).detail).toBe(
      '{PREFIX} needs prefixRules or defaultPrefix',
    );
    const unknown = failure({ ...minimal, archiveId: { scheme: 'template', template: '{WHEN}', defaultPrefix: 'T' } });
    expect(unknown.detail).toMatch(/^unknown token \{WHEN\}/);
    expect(failure({ ...minimal, archiveId: { scheme: 'noao' } }).context.field).toBe('archiveId.scheme');
  });

  it('checks image types against the declared vocabulary', () => {
    const error = failure({
      ...minimal,
      imageTypes: ['object', 'bias', 'undefined'],
      imageTypeRules: [{ fromKeyword: 'OBSTYPE', map: { OBJECT: 'object', ZERO: 'zero' } }],
    });
    expect(error.context.field).toBe('imageTypeRules[0].map.ZERO');
    expect(failure({ ...minimal, imageTypeRules: [{ type: 'bias', fromKeyword: 'X', map: {} }] }).detail).toMatch(/either "type"/);
    expect(failure({ ...minimal, imageTypeRules: [{ fromKeyword: 'X' }] }).detail).toMatch(/go together/);
    expect(failure({ ...minimal, imageTypeRules: [{ type: 'Bias' }] }).context.field).toBe('imageTypeRules[0].type');
  });

  it('checks semester, site, path and level settings', () => {
    const semester = { starts: [{ name: 'B', start: '08-01' }, { name: 'A', start: '02-01' }] };
    expect(failure({ ...minimal, semester }).context.field).toBe('semester.starts[1].start');
    expect(failure({ ...minimal, semester: { starts: [{ name: 'A', start: '2-1' }] } }).context.field).toBe('semester.starts[0].start');
    expect(failure({ ...minimal, site: { utcOffsetHours: -20 } }).context.field).toBe('site.utcOffsetHours');
    expect(failure({ ...minimal, site: { daytimeUt: { start: '25:00', end: '03:00' } } }).context.field).toBe('site.daytimeUt.start');
    expect(failure({ ...minimal, paths: { reject: [{ glob: '*.{fits' }] } }).detail).toMatch(/invalid glob: unclosed/);
    expect(failure({ ...minimal, paths: { reject: [{ regex: '[' }] } }).context.field).toBe('paths.reject[0].regex');
    expect(failure({ ...minimal, paths: { accept: [{ glob: '*.fits', regex: 'x' }] } }).context.field).toBe('paths.accept[0]');
    expect(failure({ ...minimal, levels: { 3: {} } }).context.field).toBe('levels.3');
  });

  it('lists every problem in the context and the first few in the message', () => {
    const error = failure({ ...minimal, name: '', proprietaryMonths: -1, keywordTable: [{ keyword: 'A', type: 'text' }] });
    expect(error.context.problems).toEqual([
      expect.stringMatching(/^name: /),
      expect.stringMatching(/^keywordTable\[0\]\.type: /),
      expect.stringMatching(/^proprietaryMonths: /),
    ]);
    expect(error.message).toContain('; also keywordTable[0].type: ');
    expect(error.message).toContain('[INSTRUMENT_CONFIG_INVALID]');
  });

  it('rejects data that is not an object', () => {
    expect(failure(null).context.field).toBe('(root)');
    expect(failure([minimal]).context.field).toBe('(root)');
  });
});
