import { describe, expect, it } from 'vitest';
import { isIngestError } from '../../src/core/errors.js';
import {
  builtinInstrument,
  builtinInstruments,
  evaluateImageType,
  evaluatePrefix,
  evaluateProprietaryMonths,
  findInstrument,
  headerViewFrom,
  identifyInstrument,
  instrumeForms,
  isPathAccepted,
  semesterOf,
  utSecondsFromTime,
  type BuiltinInstrumentName,
  type HeaderValue,
} from '../../src/instruments/index.js';

interface Case {
  instrument: BuiltinInstrumentName;
  header: Record<string, HeaderValue>;
  prefix: string | undefined;
  type: string;
}

/** Realistic header excerpts (values as the instruments write them) with the prefix and image type KOA gives. */
const cases: Record<string, Case> = {
  'KCWI blue science': {
    instrument: 'kcwi',
    header: { INSTRUME: 'KCWI', CAMERA: 'BLUE', IMTYPE: 'OBJECT', XPOSURE: 1200.0, STATEID: 'c4f3' },
    prefix: 'KB',
    type: 'object',
  },
  'KCWI red bias by exposure time': {
    instrument: 'kcwi',
    header: { INSTRUME: 'KCWI', CAMERA: 'RED', IMTYPE: 'OBJECT', XPOSURE: 0.0 },
    prefix: 'KR',
    type: 'bias',
  },
  'KCWI twilight flat': {
    instrument: 'kcwi',
    header: { INSTRUME: 'KCWI', CAMERA: 'Blue', IMTYPE: 'TWIFLAT', XPOSURE: 5 },
    prefix: 'KB',
    type: 'twilightflat',
  },
  'KCWI focal-plane camera': {
    instrument: 'kcwi',
    header: { INSTRUME: 'KCWI', CAMERA: 'FPC', IMTYPE: 'OBJECT', XPOSURE: 2 },
    prefix: 'KF',
    type: 'fpc',
  },
  'KCWI unknown IMTYPE': {
    instrument: 'kcwi',
    header: { INSTRUME: 'KCWI', CAMERA: 'BLUE', IMTYPE: 'SOMETHING', XPOSURE: 2 },
    prefix: 'KB',
    type: 'undefined',
  },
  'DEIMOS arc': {
    instrument: 'deimos',
    header: {
      INSTRUME: 'DEIMOS: real science mosaic CCD subsystem with PowerPC in VME crate',
      OUTDIR: '/s/sdata1001/deimos3/2024mar05/',
      OBSTYPE: 'Line',
      HATCHPOS: 'closed',
      LAMPS: 'Ne Ar Kr Xe',
      GRATEPOS: 3,
      SLMSKNAM: 'LVMslitC',
    },
    prefix: 'DE',
    type: 'arclamp',
  },
  'DEIMOS FCS': {
    instrument: 'deimos',
    header: { INSTRUME: 'DEIMOS', OUTDIR: '/s/sdata1001/dmoseng/fcs', OBSTYPE: 'Object', HATCHPOS: 'open' },
    prefix: 'DF',
    type: 'fcscal',
  },
  'DEIMOS focus with a GOH mask': {
    instrument: 'deimos',
    header: { INSTRUME: 'DEIMOS', OUTDIR: '/s/sdata1001/deimos3', SLMSKNAM: 'GOH_X', HATCHPOS: 'closed', LAMPS: 'Off' },
    prefix: 'DE',
    type: 'focus',
  },
  'LRIS blue dome flat': {
    instrument: 'lris',
    header: { INSTRUME: 'LRISBLUE', TRAPDOOR: 'open', FLSPECTR: 'on', ELAPTIME: 5, GRISNAME: '600/4000' },
    prefix: 'LB',
    type: 'flatlamp',
  },
  'LRIS red arc (closed trap door, grating in)': {
    instrument: 'lris',
    header: { INSTRUME: 'LRIS', TRAPDOOR: 'closed', LAMPS: '1,1,0,1,0,0', ELAPTIME: 1, GRANAME: '400/8500' },
    prefix: 'LR',
    type: 'arclamp',
  },
  'LRIS red lamps on through the mirror is not an arc': {
    instrument: 'lris',
    header: { INSTRUME: 'LRISPRED', TRAPDOOR: 'closed', LAMPS: '1,1,0,1,0,0', ELAPTIME: 1, GRANAME: 'mirror' },
    prefix: 'LR',
    type: 'undefined',
  },
  'NIRSPEC slit-viewing camera known from OUTDIR': {
    instrument: 'nirspec',
    header: { INSTRUME: 'NIRSPAO', OUTDIR: '/s/sdata600/nspec3/scam', OBSTYPE: 'object' },
    prefix: 'NC',
    type: 'object',
  },
  'NIRSPEC spectrograph flat from the calibration unit': {
    instrument: 'nirspec',
    header: { INSTRUME: 'NIRSPEC', CAMERA: 'spec', OBSTYPE: 'cal', FLIMAGIN: 'on', CALMPOS: 'in', CALPPOS: 'out', ITIME: 2 },
    prefix: 'NS',
    type: 'flatlamp',
  },
  'NIRSPEC arc lamp on without the calibration mirror': {
    instrument: 'nirspec',
    header: { INSTRUME: 'NIRSPEC', CAMERA: 'spec', NEON: 'on', CALMPOS: 'out', CALPPOS: 'out', ITIME: 2 },
    prefix: 'NS',
    type: 'undefined',
  },
  'NIRES spectrograph telluric standard': {
    instrument: 'nires',
    header: { INSTRUME: 'NIRES', INSTR: 'spec', OBSTYPE: 'Telluric' },
    prefix: 'NR',
    type: 'object',
  },
  'NIRES slit viewer with an old calib OBSTYPE': {
    instrument: 'nires',
    header: { INSTRUME: 'NIRES', INSTR: 'imag', OBSTYPE: 'calib' },
    prefix: 'NI',
    type: 'undefined',
  },
  'HIRES bias': {
    instrument: 'hires',
    header: { INSTRUME: 'HIRES: High Resolution Echelle Spectrometer', AUTOSHUT: false, TTIME: 0, LAMPNAME: 'none' },
    prefix: 'HI',
    type: 'bias',
  },
  'HIRES quartz flat': {
    instrument: 'hires',
    header: { INSTRUME: 'HIRES', AUTOSHUT: true, TTIME: 3, LAMPNAME: 'quartz1', DECKNAME: 'B2', LMIRRIN: 1, HATCLOS: 1 },
    prefix: 'HI',
    type: 'flatlamp',
  },
  'HIRES ThAr arc': {
    instrument: 'hires',
    header: { INSTRUME: 'HIRES', AUTOSHUT: 1, TTIME: 3, LAMPNAME: 'ThAr1', CATCUR1: 10.2, DECKNAME: 'B5', LMIRRIN: 1 },
    prefix: 'HI',
    type: 'arclamp',
  },
  'HIRES science': {
    instrument: 'hires',
    header: { INSTRUME: 'HIRES', AUTOSHUT: true, TTIME: 900, LAMPNAME: 'none', HATCLOS: 0, DECKNAME: 'C2' },
    prefix: 'HI',
    type: 'object',
  },
  'OSIRIS imager dark': {
    instrument: 'osiris',
    header: { INSTR: 'imag', IFILTER: 'Drk', OUTDIR: '/s/sdata1100/osiris3' },
    prefix: 'OI',
    type: 'dark',
  },
  'OSIRIS spectrograph science': {
    instrument: 'osiris',
    header: { INSTR: 'spec', SFILTER: 'Kbb', AXESTAT: 'tracking', DOMESTAT: 'tracking', OUTDIR: '/s/sdata1100/osiris3' },
    prefix: 'OS',
    type: 'object',
  },
  'MOSFIRE flat at the dome-flat position': {
    instrument: 'mosfire',
    header: { INSTRUME: 'MOSFIRE', MDCNAME: 'Open', OBSMODE: 'H-spectroscopy', FLATSPEC: 1, EL: 45.0 },
    prefix: 'MF',
    type: 'flatlamp',
  },
  'MOSFIRE arc with the dust cover closed': {
    instrument: 'mosfire',
    header: { INSTRUME: 'MOSFIRE', MDCNAME: 'Closed', OBSMODE: 'K-spectroscopy', PWSTATA7: 1, PWSTATA8: 0 },
    prefix: 'MF',
    type: 'arclamp',
  },
  'NIRC2 dark': {
    instrument: 'nirc2',
    header: { INSTRUME: 'NIRC2', SHRNAME: 'closed', ITIME: 30 },
    prefix: 'N2',
    type: 'dark',
  },
  'NIRC2 science': {
    instrument: 'nirc2',
    header: { INSTRUME: 'NIRC2', SHRNAME: 'open', OBSFNAME: 'telescope', AXESTAT: 'tracking', DOMESTAT: 'tracking' },
    prefix: 'N2',
    type: 'object',
  },
  'KPF arc from IMTYPE': {
    instrument: 'kpf',
    header: { INSTRUME: 'KPF', IMTYPE: 'Arclamp' },
    prefix: 'KP',
    type: 'arclamp',
  },
  'ESI bias': { instrument: 'esi', header: { INSTRUME: 'ESI', OBSTYPE: 'Bias' }, prefix: 'ES', type: 'bias' },
  'ESI echellette arc': {
    instrument: 'esi',
    header: { INSTRUME: 'ESI', OBSTYPE: 'Line', HATCHPOS: 'closed', LAMPCU1: 'on', PRISMNAM: 'in', IMFLTNAM: 'out', SLMSKNAM: '0.50_arcsec' },
    prefix: 'ES',
    type: 'arclamp',
  },
  'MegaPrime bias': {
    instrument: 'megaprime',
    header: { INSTRUME: 'MegaPrime', OBSTYPE: 'BIAS', EXPNUM: 2345678 },
    prefix: 'b',
    type: 'bias',
  },
};

describe('prefix and image-type rules on realistic headers', () => {
  it.each(Object.entries(cases))('%s', (_, c) => {
    const d = builtinInstrument(c.instrument);
    const header = headerViewFrom(c.header);
    expect(evaluatePrefix(d, header)).toBe(c.prefix);
    expect(evaluateImageType(d, header).type).toBe(c.type);
    expect(findInstrument(builtinInstruments(), header)?.name).toBe(d.name);
  });

  it('says which rule decided the image type', () => {
    const d = builtinInstrument('kcwi');
    expect(evaluateImageType(d, headerViewFrom(cases['KCWI focal-plane camera']!.header))).toEqual({ type: 'fpc', rule: 0 });
    expect(evaluateImageType(d, headerViewFrom({ CAMERA: 'BLUE' }))).toEqual({ type: 'undefined', rule: 'fallback' });
  });

  it('gives no prefix when no rule applies and there is no default', () => {
    expect(evaluatePrefix(builtinInstrument('nires'), headerViewFrom({ INSTRUME: 'NIRES' }))).toBeUndefined();
    expect(evaluatePrefix(builtinInstrument('kcwi'), headerViewFrom({ CAMERA: 'GREEN' }))).toBeUndefined();
  });
});

describe('findInstrument', () => {
  const all = builtinInstruments();
  const find = (values: Record<string, HeaderValue>) => findInstrument(all, headerViewFrom(values))?.name;

  it('matches INSTRUME to names and aliases, case-insensitively, also by its first word', () => {
    expect(find({ INSTRUME: 'kcwi' })).toBe('KCWI');
    expect(find({ INSTRUME: 'HIRES: High Resolution Echelle Spectrometer' })).toBe('HIRES');
    expect(find({ INSTRUME: 'NIRSPAO' })).toBe('NIRSPEC');
    expect(find({ INSTRUME: 'LRISpBLUE' })).toBe('LRIS');
    expect(find({ INSTRUME: 'MegaCam' })).toBe('MegaPrime');
    expect(instrumeForms(' DEIMOS: real science ')).toEqual(['deimos: real science', 'deimos']);
  });

  it('falls back to detect conditions', () => {
    expect(find({ INSTR: 'spec', OUTDIR: '/s/sdata1100/osiris7/2024mar05' })).toBe('OSIRIS');
    expect(find({ OUTDIR: '/s/sdata903/nirc2eng/2024mar05' })).toBe('NIRC2');
    expect(find({ INSTR: 'spec', OUTDIR: '/s/sdata1500/nires1' })).toBeUndefined();
  });

  it('returns undefined for unknown instruments and picks the generic fallback only by its name', () => {
    expect(find({ INSTRUME: 'WFC3' })).toBeUndefined();
    expect(find({})).toBeUndefined();
    expect(find({ INSTRUME: 'generic' })).toBe('generic');
  });

  it('identifyInstrument throws UNKNOWN_INSTRUMENT with the file in the context', () => {
    try {
      identifyInstrument(all, headerViewFrom({ INSTRUME: 'WFC3' }), { file: '/data/x.fits' });
      expect.unreachable();
    } catch (error) {
      expect(isIngestError(error, 'UNKNOWN_INSTRUMENT')).toBe(true);
      expect((error as Error).message).toMatch(
        /^\/data\/x\.fits, keyword INSTRUME: INSTRUME = "WFC3" matches none of DEIMOS, .*KCWI.*, generic \[UNKNOWN_INSTRUMENT\]/,
      );
    }
  });
});

describe('proprietary period', () => {
  const kcwi = builtinInstrument('kcwi');
  const header = headerViewFrom({ INSTRUME: 'KCWI' });

  it('is 0 for KCWI calibrations by day and the default otherwise', () => {
    const noon = utSecondsFromTime('22:00:00')!;
    const midnight = utSecondsFromTime('10:00:00')!;
    expect(evaluateProprietaryMonths(kcwi, { header, imageType: 'bias', utSeconds: noon })).toBe(0);
    expect(evaluateProprietaryMonths(kcwi, { header, imageType: 'bias', utSeconds: midnight })).toBe(18);
    expect(evaluateProprietaryMonths(kcwi, { header, imageType: 'object', utSeconds: noon })).toBe(18);
  });

  it('lets the caller say whether it was day, and keeps data proprietary when nobody knows', () => {
    expect(evaluateProprietaryMonths(kcwi, { header, imageType: 'arclamp', daytime: true })).toBe(0);
    expect(evaluateProprietaryMonths(kcwi, { header, imageType: 'arclamp', daytime: false, utSeconds: 80_000 })).toBe(18);
    expect(evaluateProprietaryMonths(kcwi, { header, imageType: 'arclamp' })).toBe(18);
  });

  it('keeps HIRES calibrations proprietary (their headers carry target information)', () => {
    expect(evaluateProprietaryMonths(builtinInstrument('hires'), { header, imageType: 'bias', daytime: true })).toBe(18);
    expect(evaluateProprietaryMonths(builtinInstrument('megaprime'), { header, imageType: 'bias', daytime: true })).toBe(12);
  });
});

describe('semesterOf', () => {
  const keck = builtinInstrument('kcwi').semester!;

  it.each([
    ['2017-08-01', '10:00:00', '2017A'],
    ['2017-08-02', '05:00:00', '2017B'],
    ['2017-08-01', '20:00:00', '2017B'],
    ['2024-02-01', '19:59:59', '2023B'],
    ['2024-02-01', '20:00:00', '2024A'],
    ['2024-01-15', '08:00:00', '2023B'],
    ['2024-01-01', '05:00:00', '2023B'],
    ['2024-12-31', '23:00:00', '2024B'],
  ])('Keck: %s %s UT is %s', (date, time, semester) => {
    expect(semesterOf(keck, date, utSecondsFromTime(time)!)).toBe(semester);
  });

  it('KPF uses the UT date without the shift', () => {
    expect(semesterOf(builtinInstrument('kpf').semester!, '2024-02-01', 3600)).toBe('2024A');
  });

  it('works with more than two semesters', () => {
    const trimesters = { shiftHours: 0, starts: [{ name: '1', start: '01-01' }, { name: '2', start: '05-01' }, { name: '3', start: '09-01' }] };
    expect(semesterOf(trimesters, '2024-04-30', 0)).toBe('20241');
    expect(semesterOf(trimesters, '2024-09-01', 0)).toBe('20243');
  });
});

describe('isPathAccepted', () => {
  const keck = builtinInstrument('kcwi').paths;

  it.each([
    ['/s/sdata1400/kcwi1/2024mar05/kb240305_00012.fits', true],
    ['/s/sdata1400/kcwi1/2024mar05/kb240305_00012.fits.gz', true],
    ['/s/sdata1400/kcwi1/2024mar05/test_00012.fits', false],
    ['/s/sdata1400/kcwi1/2024mar05/kb_TEST.fits', false],
    ['/s/sdata1400/kcwi1/2024mar05/latest.fits', true],
    ['/s/sdata1400/kcwi1/2024mar05/.kb240305_00012.fits', false],
    ['/s/sdata1400/kcwi1/2024mar05/kb240305_00012.fits~', false],
    ['/s/sdata1400/kcwi1/2024mar05/kb240305_00012.jpg', false],
    ['C:\\data\\kb240305_00012.fits', true],
  ])('%s → %s', (path, accepted) => {
    expect(isPathAccepted(keck, path)).toBe(accepted);
  });

  it('matches globs with a slash against the whole path', () => {
    const rules = { accept: [{ glob: '/data/**/raw/*.fits' }], reject: [{ glob: '**/junk/**' }] };
    expect(isPathAccepted(rules, '/data/raw/a.fits')).toBe(true);
    expect(isPathAccepted(rules, '/data/2024/03/raw/a.fits')).toBe(true);
    expect(isPathAccepted(rules, '/data/2024/raw/sub/a.fits')).toBe(false);
    expect(isPathAccepted(rules, '/data/junk/raw/a.fits')).toBe(false);
    expect(isPathAccepted({ accept: [{ glob: 'kb[0-9]?????_*.fits' }], reject: [] }, '/x/kb240305_1.fits')).toBe(true);
    expect(isPathAccepted({ accept: [{ glob: '[!k]*' }], reject: [] }, '/x/kb.fits')).toBe(false);
  });
});
