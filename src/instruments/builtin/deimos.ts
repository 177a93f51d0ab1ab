/** DEIMOS, the DEep Imaging Multi-Object Spectrograph (Keck II), and its flexure-compensation camera (FCS). */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap } from './_keck.js';

const fcs = { keyword: 'OUTDIR', contains: '/fcs' } as const;
const hatch = (position: 'open' | 'closed') => ({ keyword: 'HATCHPOS', equals: position }) as const;

export const deimos = {
  ...keck,
  name: 'DEIMOS',
  aliases: ['DEIMOS'],
  telescope: 'Keck II',
  keywordMap: keckKeywordMap(),
  archiveId: {
    scheme: 'keck',
    prefixRules: [{ when: fcs, prefix: 'DF', note: 'flexure-compensation system images' }],
    defaultPrefix: 'DE',
  },
  imageTypes: ['object', 'bias', 'dark', 'focus', 'flatlamp', 'arclamp', 'fcscal', 'undefined'],
  imageTypeRules: [
    { when: fcs, type: 'fcscal' },
    { when: { keyword: 'OBSTYPE', equals: 'bias' }, type: 'bias' },
    { when: { keyword: 'OBSTYPE', equals: 'dark' }, type: 'dark' },
    { when: { keyword: 'SLMSKNAM', matches: '^goh', flags: 'i' }, type: 'focus' },
    { when: { all: [hatch('closed'), { keyword: 'LAMPS', contains: 'qz' }] }, type: 'flatlamp' },
    {
      when: {
        all: [hatch('open'), { any: [{ keyword: 'FLIMAGIN', equals: 'on' }, { keyword: 'FLSPECTR', equals: 'on' }] }],
      },
      type: 'flatlamp',
    },
    {
      when: {
        all: [
          hatch('closed'),
          { not: { keyword: 'LAMPS', contains: 'off' } },
          { not: { keyword: 'LAMPS', contains: 'qz' } },
          { keyword: 'GRATEPOS', in: [3, 4] },
        ],
      },
      type: 'arclamp',
    },
    { when: hatch('open'), type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENO', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'OUTFILE', type: 'string', width: 32, description: 'Output file name root' },
    { keyword: 'OBSTYPE', type: 'string', width: 16, description: 'Observation type' },
    {
      keyword: 'OBSMODE',
      type: 'string',
      width: 16,
      allowed: ['imaging', 'longslit', 'mos', 'unknown'],
      source: 'derived',
      description: 'Observing mode from the grating and the mask',
    },
    { keyword: 'GRATENAM', type: 'string', width: 16, description: 'Grating' },
    { keyword: 'GRATEPOS', type: 'integer', allowed: [2, 3, 4], description: 'Grating slider position' },
    { keyword: 'G3TLTWAV', type: 'real', unit: 'Angstrom', description: 'Slider 3 central wavelength' },
    { keyword: 'G4TLTWAV', type: 'real', unit: 'Angstrom', description: 'Slider 4 central wavelength' },
    { keyword: 'DWFILNAM', type: 'string', width: 16, description: 'Filter' },
    { keyword: 'SLMSKNAM', type: 'string', width: 32, description: 'Slit mask' },
    { keyword: 'HATCHPOS', type: 'string', width: 8, allowed: ['open', 'closed'], description: 'Hatch position' },
    { keyword: 'LAMPS', type: 'string', width: 32, description: 'Calibration lamps on' },
    { keyword: 'AMPMODE', type: 'string', width: 16, description: 'Amplifier mode' },
    { keyword: 'BINNING', type: 'string', width: 8, description: 'Binning' },
    { keyword: 'EXPTIME', type: 'real', min: 0, unit: 's', description: 'Exposure time' },
    { keyword: 'MJD-OBS', column: 'mjd_obs', type: 'real', description: 'Modified Julian date of the exposure start' },
    { keyword: 'ROTPOSN', type: 'real', unit: 'deg', description: 'Rotator position' },
    { keyword: 'SPATSCAL', type: 'real', unit: 'arcsec/pixel', source: 'derived', description: 'Spatial pixel scale' },
  ],
  calibrationRules: [
    { name: 'bias', calibrationTypes: ['bias'], match: ['AMPMODE', 'BINNING'], withinHours: 48, count: 10 },
    {
      name: 'flats and arcs',
      calibrationTypes: ['flatlamp', 'arclamp'],
      match: ['SLMSKNAM', 'GRATENAM', 'GRATEPOS', 'DWFILNAM', 'BINNING'],
      withinHours: 24,
      select: 'all',
    },
  ],
  notes:
    'INSTRUME reads "DEIMOS: real science mosaic CCD subsystem…"; its first word matches. FCS images (OUTDIR ' +
    'containing /fcs) get prefix DF and type fcscal, and carry their date and time in DATE (ISO date-time). The ' +
    'original file name is OUTFILE + FRAMENO (4 digits) + ".fits".',
} satisfies InstrumentInput;
