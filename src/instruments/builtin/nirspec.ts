/** NIRSPEC, the near-infrared echelle spectrograph (Keck II), with its slit-viewing camera (SCAM); NIRSPAO with AO. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckDaytimeCalibrationRule, keckKeywordMap, dataFileKeywords } from './_keck.js';

const arcOn = { any: ['ARGON', 'KRYPTON', 'NEON', 'XENON'].map((keyword) => ({ keyword, equals: 'on' })) };
const flatOn = { any: [{ keyword: 'FLIMAGIN', equals: 'on' }, { keyword: 'FLSPECTR', equals: 'on' }] } as const;
const mirrorIn = { keyword: 'CALMPOS', equals: 'in' } as const;
const pinholeOut = { keyword: 'CALPPOS', equals: 'out' } as const;
const calibrations = ['bias', 'dark', 'domeflat', 'domearc', 'arclamp', 'flatlamp', 'flatlampoff'];

export const nirspec = {
  ...keck,
  name: 'NIRSPEC',
  aliases: ['NIRSPEC', 'NIRSPAO'],
  telescope: 'Keck II',
  keywordMap: keckKeywordMap({ ...dataFileKeywords, DETECTOR: ['CAMERA', 'OUTDIR'] }),
  archiveId: {
    scheme: 'keck',
    prefixRules: [
      { when: { keyword: 'DETECTOR', contains: 'scam' }, prefix: 'NC', note: 'slit-viewing camera' },
      { when: { keyword: 'DETECTOR', contains: 'spec' }, prefix: 'NS', note: 'spectrograph' },
    ],
  },
  imageTypes: ['object', ...calibrations, 'undefined'],
  imageTypeRules: [
    {
      fromKeyword: 'OBSTYPE',
      map: {
        object: 'object', standard: 'object', telluric: 'object', bias: 'bias', dark: 'dark',
        domeflat: 'domeflat', domearc: 'domearc', arclamp: 'arclamp', flatlamp: 'flatlamp',
      },
    },
    { when: { all: [arcOn, mirrorIn, pinholeOut] }, type: 'arclamp' },
    { when: arcOn, type: 'undefined', note: 'an arc lamp is on but the calibration optics are not in place' },
    { when: { all: [mirrorIn, { not: flatOn }] }, type: 'flatlampoff' },
    { when: { all: [flatOn, mirrorIn, pinholeOut] }, type: 'flatlamp' },
    { when: { keyword: 'ITIME', equals: 0 }, type: 'bias' },
    { when: { all: [{ keyword: 'CALMPOS', equals: 'out' }, pinholeOut] }, type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENUM', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'DATAFILE', type: 'string', width: 68, description: 'Data file name' },
    { keyword: 'OBSTYPE', type: 'string', width: 16, description: 'Observation type set by the observer' },
    { keyword: 'FILTER', type: 'string', width: 32, description: 'Filter' },
    { keyword: 'SCIFILT1', type: 'string', width: 16, description: 'Science filter wheel 1' },
    { keyword: 'SCIFILT2', type: 'string', width: 16, description: 'Science filter wheel 2' },
    { keyword: 'SLITNAME', type: 'string', width: 16, description: 'Slit (e.g. 0.432x24)' },
    { keyword: 'ECHLPOS', type: 'real', unit: 'deg', description: 'Echelle position' },
    { keyword: 'DISPPOS', type: 'real', unit: 'deg', description: 'Cross-disperser position' },
    { keyword: 'ITIME', type: 'real', min: 0, unit: 's', description: 'Integration time per coadd' },
    { keyword: 'COADDS', type: 'integer', min: 1, description: 'Coadds' },
    { keyword: 'CALMPOS', type: 'string', width: 8, allowed: ['in', 'out'], description: 'Calibration mirror' },
    { keyword: 'CALPPOS', type: 'string', width: 8, allowed: ['in', 'out'], description: 'Calibration pinhole' },
    { keyword: 'ISAO', type: 'string', width: 4, allowed: ['yes', 'no'], source: 'derived', description: 'NIRSPAO' },
    { keyword: 'DISPERS', type: 'string', width: 8, allowed: ['low', 'high', 'unknown'], source: 'derived' },
  ],
  proprietaryRules: keckDaytimeCalibrationRule(calibrations),
  calibrationRules: [
    { name: 'darks', calibrationTypes: ['dark'], match: ['ITIME', 'COADDS'], withinHours: 48, count: 5 },
    {
      name: 'flats and arcs',
      calibrationTypes: ['flatlamp', 'flatlampoff', 'arclamp'],
      match: ['FILTER', 'SLITNAME', 'ECHLPOS', 'DISPPOS'],
      withinHours: 24,
      select: 'all',
    },
  ],
  notes:
    'INSTRUME NIRSPAO means NIRSPEC behind the adaptive optics. The detector comes from CAMERA, or from OUTDIR ' +
    'when CAMERA is missing: "scam" gives NC, "spec" gives NS. OBSTYPE decides the image type when it is one of ' +
    'the known values; otherwise the calibration-unit keywords do.',
} satisfies InstrumentInput;
