/** NIRC2, the near-infrared camera behind the Keck II adaptive optics. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap } from './_keck.js';

const shutter = (state: 'open' | 'closed') => ({ keyword: 'SHRNAME', equals: state }) as const;
const pupil = (name: 'telescope' | 'telsim') => ({ keyword: 'OBSFNAME', equals: name }) as const;
const notTracking = {
  all: [{ not: { keyword: 'AXESTAT', equals: 'tracking' } }, { not: { keyword: 'DOMESTAT', equals: 'tracking' } }],
} as const;

export const nirc2 = {
  ...keck,
  name: 'NIRC2',
  aliases: ['NIRC2'],
  detect: { keyword: 'OUTDIR', matches: '/nirc\\d*(?:eng)?(?:/|$)', flags: 'i' },
  telescope: 'Keck II',
  keywordMap: keckKeywordMap({ OFNAME: ['FILENAME', 'OFNAME'] }),
  archiveId: { scheme: 'keck', defaultPrefix: 'N2' },
  imageTypes: ['object', 'bias', 'dark', 'flatlamp', 'flatlampoff', 'arclamp', 'undefined'],
  imageTypeRules: [
    { when: { all: [shutter('closed'), { keyword: 'ITIME', equals: 0 }] }, type: 'bias' },
    { when: shutter('closed'), type: 'dark' },
    { when: { all: [shutter('open'), pupil('telsim'), { keyword: 'LAMPPWR', equals: 1 }] }, type: 'flatlamp' },
    {
      when: {
        all: [
          shutter('open'),
          pupil('telsim'),
          { any: ['ARGONPWR', 'XENONPWR', 'KRYPTPWR', 'NEONPWR'].map((keyword) => ({ keyword, equals: 1 })) },
        ],
      },
      type: 'arclamp',
    },
    {
      when: {
        all: [
          shutter('open'),
          pupil('telescope'),
          notTracking,
          { any: [{ keyword: 'FLIMAGIN', equals: 'on' }, { keyword: 'FLSPECTR', equals: 'on' }] },
        ],
      },
      type: 'flatlamp',
    },
    {
      when: { all: [shutter('open'), pupil('telescope'), notTracking, { exists: 'FLIMAGIN' }] },
      type: 'flatlampoff',
    },
    { when: { all: [shutter('open'), pupil('telescope')] }, type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FILENAME', type: 'string', width: 68, description: 'File name written by the instrument' },
    { keyword: 'CAMNAME', type: 'string', width: 16, allowed: ['narrow', 'medium', 'wide'], description: 'Camera' },
    { keyword: 'FILTER', type: 'string', width: 32, description: 'Filter combination' },
    { keyword: 'FWINAME', type: 'string', width: 16, description: 'Inner filter wheel' },
    { keyword: 'FWONAME', type: 'string', width: 16, description: 'Outer filter wheel' },
    { keyword: 'GRSNAME', type: 'string', width: 16, description: 'Grism' },
    { keyword: 'SLITNAME', type: 'string', width: 16, description: 'Slit' },
    { keyword: 'SHRNAME', type: 'string', width: 8, allowed: ['open', 'closed'], description: 'Shutter' },
    { keyword: 'OBSFNAME', type: 'string', width: 16, description: 'Source: telescope or telsim' },
    { keyword: 'ITIME', type: 'real', min: 0, unit: 's', description: 'Integration time per coadd' },
    { keyword: 'COADDS', type: 'integer', min: 1, description: 'Coadds' },
    { keyword: 'SAMPMODE', type: 'integer', allowed: [2, 3, 4], description: 'Sampling mode (2 CDS, 3 MCDS, 4 UTR)' },
    { keyword: 'MULTISAM', type: 'integer', min: 1, description: 'Reads for MCDS' },
    { keyword: 'ROTMODE', type: 'string', width: 32, description: 'Rotator mode' },
    { keyword: 'ROTPOSN', type: 'real', unit: 'deg', description: 'Rotator position' },
    { keyword: 'ISAO', type: 'string', width: 4, allowed: ['yes', 'no'], source: 'derived', description: 'AO used' },
  ],
  calibrationRules: [
    {
      name: 'darks',
      calibrationTypes: ['dark'],
      match: ['ITIME', 'COADDS', 'SAMPMODE', 'MULTISAM'],
      withinHours: 48,
      count: 5,
    },
    {
      name: 'flats',
      calibrationTypes: ['flatlamp', 'flatlampoff'],
      match: ['CAMNAME', 'FILTER'],
      withinHours: 48,
      select: 'all',
    },
  ],
  notes:
    'NIRC2 names its files in FILENAME. Older files may lack INSTRUME; the detect rule recognizes their OUTDIR ' +
    '(/nircN or /nirc2eng). Some cases (telescope-side flats without dome-lamp keywords, telsim spectra) KOA ' +
    'settles from the telescope elevation and image data; they stay undefined here.',
} satisfies InstrumentInput;
