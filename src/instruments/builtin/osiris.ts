/** OSIRIS, the OH-Suppressing Infra-Red Imaging Spectrograph behind the Keck I adaptive optics. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap, dataFileKeywords } from './_keck.js';

const imager = { keyword: 'INSTR', equals: 'imag' } as const;
const spectrograph = { keyword: 'INSTR', equals: 'spec' } as const;
const tracking = {
  all: [{ keyword: 'AXESTAT', in: ['tracking', 'slewing'] }, { keyword: 'DOMESTAT', in: ['tracking', 'slewing'] }],
} as const;

export const osiris = {
  ...keck,
  name: 'OSIRIS',
  aliases: ['OSIRIS'],
  detect: {
    all: [{ keyword: 'INSTR', in: ['imag', 'spec'] }, { keyword: 'OUTDIR', matches: 'osiris|osrs', flags: 'i' }],
  },
  telescope: 'Keck I',
  keywordMap: keckKeywordMap({ ...dataFileKeywords, FILTER: ['IFILTER', 'SFILTER'] }),
  archiveId: {
    scheme: 'keck',
    prefixRules: [
      { when: { keyword: 'INSTR', contains: 'imag' }, prefix: 'OI' },
      { when: { keyword: 'INSTR', contains: 'spec' }, prefix: 'OS' },
    ],
  },
  imageTypes: ['object', 'dark', 'flatlamp', 'calib', 'undefined'],
  imageTypeRules: [
    {
      when: { all: [{ keyword: 'PCUX', gt: 0 }, { keyword: 'PCUY', gt: 0 }, { keyword: 'PCUZ', gt: 0 }] },
      type: 'calib',
      note: 'the AO pick-off calibration unit is in the beam',
    },
    {
      when: {
        any: [
          { all: [imager, { keyword: 'IFILTER', contains: 'drk' }] },
          { all: [spectrograph, { keyword: 'SFILTER', contains: 'drk' }] },
        ],
      },
      type: 'dark',
    },
    {
      when: { all: [imager, { any: [{ keyword: 'FLAMP1', equals: 'on' }, { keyword: 'FLAMP2', equals: 'on' }] }] },
      type: 'flatlamp',
    },
    { when: tracking, type: 'object' },
    { when: imager, type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENUM', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'DATAFILE', type: 'string', width: 68, description: 'Data file name' },
    { keyword: 'INSTR', type: 'string', width: 8, allowed: ['imag', 'spec'], description: 'Imager or spectrograph' },
    { keyword: 'IFILTER', type: 'string', width: 16, description: 'Imager filter' },
    { keyword: 'SFILTER', type: 'string', width: 16, description: 'Spectrograph filter' },
    { keyword: 'SSCALE', type: 'real', unit: 'arcsec', description: 'Spectrograph lenslet scale' },
    { keyword: 'TRUITIME', type: 'real', min: 0, unit: 's', description: 'Integration time per coadd' },
    { keyword: 'COADDS', type: 'integer', min: 1, description: 'Coadds' },
    { keyword: 'PONAME', type: 'string', width: 32, description: 'Pointing origin' },
    { keyword: 'ROTMODE', type: 'string', width: 32, description: 'Rotator mode' },
    { keyword: 'ROTPOSN', type: 'real', unit: 'deg', description: 'Rotator position' },
    { keyword: 'WAVEBLUE', type: 'integer', unit: 'nm', source: 'derived', description: 'Blue end wavelength' },
    { keyword: 'WAVECNTR', type: 'integer', unit: 'nm', source: 'derived', description: 'Central wavelength' },
    { keyword: 'WAVERED', type: 'integer', unit: 'nm', source: 'derived', description: 'Red end wavelength' },
  ],
  calibrationRules: [
    { name: 'darks', calibrationTypes: ['dark'], match: ['INSTR', 'TRUITIME', 'COADDS'], withinHours: 48, count: 5 },
    { name: 'flats', calibrationTypes: ['flatlamp'], match: ['INSTR', 'IFILTER'], withinHours: 48, select: 'all' },
  ],
  notes:
    'OSIRIS headers do not always carry INSTRUME; the detect rule recognizes INSTR (imag/spec) with an OSIRIS ' +
    'OUTDIR. INSTR also picks the prefix: OI for the imager, OS for the spectrograph. FILTER resolves to IFILTER ' +
    'then SFILTER; KOA copies the one that matches INSTR.',
} satisfies InstrumentInput;
