/** NIRES, the Near-Infrared Echellette Spectrometer (Keck II), with its slit-viewing imager. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckDaytimeCalibrationRule, keckKeywordMap, dataFileKeywords } from './_keck.js';

export const nires = {
  ...keck,
  name: 'NIRES',
  aliases: ['NIRES'],
  telescope: 'Keck II',
  keywordMap: keckKeywordMap(dataFileKeywords),
  archiveId: {
    scheme: 'keck',
    prefixRules: [
      { when: { keyword: 'INSTR', equals: 'imag' }, prefix: 'NI' },
      { when: { keyword: 'INSTR', equals: 'spec' }, prefix: 'NR' },
    ],
  },
  imageTypes: ['object', 'bias', 'dark', 'domeflat', 'domearc', 'undefined'],
  imageTypeRules: [
    {
      fromKeyword: 'OBSTYPE',
      map: {
        object: 'object', standard: 'object', telluric: 'object', astro: 'object', star: 'object',
        bias: 'bias', dark: 'dark', domeflat: 'domeflat', domearc: 'domearc',
      },
      note: 'standard, astro and star are older OBSTYPE values',
    },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENUM', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'DATAFILE', type: 'string', width: 68, description: 'Data file name' },
    { keyword: 'INSTR', type: 'string', width: 8, allowed: ['imag', 'spec'], description: 'Detector' },
    { keyword: 'OBSTYPE', type: 'string', width: 16, description: 'Observation type set by the observer' },
    { keyword: 'ITIME', type: 'real', min: 0, unit: 's', description: 'Integration time per coadd' },
    { keyword: 'COADDS', type: 'integer', min: 1, description: 'Coadds' },
    { keyword: 'NUMREADS', type: 'integer', min: 1, description: 'Reads' },
    { keyword: 'READMODE', type: 'string', width: 16, description: 'Read mode' },
    { keyword: 'FILTER', type: 'string', width: 8, source: 'derived', description: 'Filter (Kp for the imager)' },
    { keyword: 'SLITWIDT', type: 'real', unit: 'arcsec', source: 'derived', description: 'Slit width (0.55)' },
    { keyword: 'SPECRES', type: 'real', source: 'derived', description: 'Nominal spectral resolution' },
  ],
  proprietaryRules: keckDaytimeCalibrationRule(['bias', 'dark', 'domeflat', 'domearc']),
  calibrationRules: [
    {
      name: 'darks',
      calibrationTypes: ['dark'],
      match: ['INSTR', 'ITIME', 'COADDS', 'NUMREADS'],
      withinHours: 48,
      count: 5,
    },
    {
      name: 'flats and arcs',
      calibrationTypes: ['domeflat', 'domearc'],
      match: ['INSTR'],
      withinHours: 24,
      select: 'all',
    },
  ],
  notes:
    'INSTR says which detector wrote the file: imag (slit viewer, prefix NI) or spec (spectrograph, prefix NR). ' +
    'The image type comes from OBSTYPE, which observers set. Daytime calibrations are public at once.',
} satisfies InstrumentInput;
