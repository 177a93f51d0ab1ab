/** MOSFIRE, the Multi-Object Spectrometer For Infra-Red Exploration (Keck I). */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap, dataFileKeywords } from './_keck.js';

const arcPower = { any: [{ keyword: 'PWSTATA7', equals: 1 }, { keyword: 'PWSTATA8', equals: 1 }] } as const;
const dustCover = (name: 'Open' | 'Closed') => ({ keyword: 'MDCNAME', equals: name }) as const;

export const mosfire = {
  ...keck,
  name: 'MOSFIRE',
  aliases: ['MOSFIRE'],
  telescope: 'Keck I',
  keywordMap: keckKeywordMap(dataFileKeywords),
  archiveId: { scheme: 'keck', defaultPrefix: 'MF' },
  imageTypes: ['object', 'dark', 'arclamp', 'flatlamp', 'flatlampoff', 'undefined'],
  imageTypeRules: [
    { when: { all: [{ keyword: 'OBSMODE', contains: 'dark' }, { not: arcPower }] }, type: 'dark' },
    {
      when: { all: [dustCover('Closed'), { keyword: 'OBSMODE', contains: 'spectroscopy' }, arcPower] },
      type: 'arclamp',
    },
    {
      when: {
        all: [
          dustCover('Open'),
          {
            any: [
              { keyword: 'FLATSPEC', equals: 1 },
              { keyword: 'FLIMAGIN', equals: 'on' },
              { keyword: 'FLSPECTR', equals: 'on' },
            ],
          },
        ],
      },
      type: 'flatlamp',
    },
    {
      when: { all: [dustCover('Open'), { keyword: 'EL', gte: 44.99, lte: 45.01 }] },
      type: 'flatlampoff',
      note: 'telescope at the dome-flat elevation with the lamps off',
    },
    { when: dustCover('Open'), type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENUM', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'DATAFILE', type: 'string', width: 68, description: 'Data file name' },
    { keyword: 'OBSMODE', type: 'string', width: 32, description: 'Observing mode (filter and imaging/spectroscopy)' },
    {
      keyword: 'FILTER',
      type: 'string',
      width: 8,
      allowed: ['Y', 'J', 'H', 'K', 'Ks', 'J2', 'J3', 'H1', 'H2', 'Dark'],
      description: 'Filter',
    },
    { keyword: 'MASKNAME', type: 'string', width: 68, description: 'Slit mask' },
    { keyword: 'MDCNAME', type: 'string', width: 16, description: 'Dust cover position' },
    { keyword: 'TRUITIME', type: 'real', min: 0, unit: 's', description: 'Integration time per coadd' },
    { keyword: 'COADDS', type: 'integer', min: 1, description: 'Coadds' },
    { keyword: 'NUMREADS', type: 'integer', min: 1, description: 'Reads (Fowler or up-the-ramp)' },
    { keyword: 'READMODE', type: 'string', width: 16, description: 'Read mode' },
    { keyword: 'PATTERN', type: 'string', width: 32, description: 'Dither pattern' },
    { keyword: 'WAVEBLUE', type: 'real', unit: 'um', source: 'derived', description: 'Blue end wavelength' },
    { keyword: 'WAVECNTR', type: 'real', unit: 'um', source: 'derived', description: 'Central wavelength' },
    { keyword: 'WAVERED', type: 'real', unit: 'um', source: 'derived', description: 'Red end wavelength' },
  ],
  calibrationRules: [
    { name: 'darks', calibrationTypes: ['dark'], match: ['TRUITIME', 'COADDS', 'NUMREADS'], withinHours: 48, count: 5 },
    {
      name: 'flats',
      calibrationTypes: ['flatlamp', 'flatlampoff'],
      match: ['MASKNAME', 'FILTER'],
      withinHours: 24,
      select: 'all',
    },
    { name: 'arcs', calibrationTypes: ['arclamp'], match: ['MASKNAME', 'FILTER'], withinHours: 24 },
  ],
  notes:
    'MOSFIRE names its files in DATAFILE and numbers them in FRAMENUM. KOA also classifies lamp-off dome flats ' +
    'from the image mean and the dome/telescope azimuth difference; those checks need pixel data or arithmetic and ' +
    'are left to a processor.',
} satisfies InstrumentInput;
