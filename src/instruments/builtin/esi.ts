/** ESI, the Echellette Spectrograph and Imager (Keck II). */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap } from './_keck.js';

const is = (keyword: string, value: string) => ({ keyword, equals: value }) as const;
const flatOn = is('LAMPQTZ1', 'on');
const arcOn = { any: ['LAMPAR1', 'LAMPCU1', 'LAMPNE1', 'LAMPNE2'].map((keyword) => is(keyword, 'on')) };
const echellette = { all: [is('PRISMNAM', 'in'), is('IMFLTNAM', 'out')] } as const;
const hole = { keyword: 'SLMSKNAM', contains: 'hole' } as const;
const hatchClosed = is('HATCHPOS', 'closed');
const atFlatScreen = { keyword: 'EL', gte: 44, lte: 46.01 } as const;

export const esi = {
  ...keck,
  name: 'ESI',
  aliases: ['ESI'],
  telescope: 'Keck II',
  keywordMap: keckKeywordMap({ UTC: ['UT', 'UTC'] }),
  archiveId: { scheme: 'keck', defaultPrefix: 'ES' },
  imageTypes: ['object', 'bias', 'dark', 'flatlamp', 'arclamp', 'trace', 'focus', 'undefined'],
  imageTypeRules: [
    { when: is('OBSTYPE', 'bias'), type: 'bias' },
    { when: is('OBSTYPE', 'dark'), type: 'dark' },
    { when: { all: [hole, hatchClosed, flatOn, { not: arcOn }, echellette] }, type: 'trace' },
    { when: { all: [hole, hatchClosed, { any: [flatOn, arcOn] }] }, type: 'focus' },
    { when: { all: [hole, { not: hatchClosed }, atFlatScreen, echellette] }, type: 'trace' },
    { when: { all: [hole, { not: hatchClosed }, atFlatScreen] }, type: 'focus' },
    { when: { all: [hole, is('PRISMNAM', 'out'), is('IMFLTNAM', 'in'), is('LDFLTNAM', 'out')] }, type: 'focus' },
    { when: { all: [hatchClosed, flatOn, { not: arcOn }] }, type: 'flatlamp' },
    { when: { all: [hatchClosed, arcOn, echellette] }, type: 'arclamp' },
    { when: { all: [{ not: hatchClosed }, is('OBSTYPE', 'dmflat')] }, type: 'flatlamp' },
    { when: { all: [{ not: hatchClosed }, atFlatScreen, { not: is('AXESTAT', 'tracking') }] }, type: 'flatlamp' },
    { when: { all: [{ not: hatchClosed }, { not: flatOn }, { not: arcOn }] }, type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENO', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'OUTFILE', type: 'string', width: 32, description: 'Output file name root' },
    { keyword: 'OBSTYPE', type: 'string', width: 16, description: 'Observation type' },
    { keyword: 'OBSMODE', type: 'string', width: 8, allowed: ['low', 'high', 'image'], source: 'derived' },
    { keyword: 'IMFLTNAM', type: 'string', width: 8, allowed: ['in', 'out'], description: 'Imaging flat' },
    { keyword: 'LDFLTNAM', type: 'string', width: 8, allowed: ['in', 'out'], description: 'Low-dispersion flat' },
    { keyword: 'PRISMNAM', type: 'string', width: 8, allowed: ['in', 'out'], description: 'Prism' },
    { keyword: 'SLMSKNAM', type: 'string', width: 32, description: 'Slit mask' },
    { keyword: 'DWFILNAM', type: 'string', width: 16, description: 'Filter' },
    { keyword: 'HATCHPOS', type: 'string', width: 8, allowed: ['open', 'closed'], description: 'Hatch' },
    { keyword: 'BINNING', type: 'string', width: 8, description: 'Binning' },
    { keyword: 'EXPTIME', type: 'real', min: 0, unit: 's', description: 'Exposure time' },
    { keyword: 'SLITWIDT', type: 'real', unit: 'arcsec', source: 'derived', description: 'Slit width' },
    { keyword: 'SPECRES', type: 'real', source: 'derived', description: 'Nominal spectral resolution' },
  ],
  calibrationRules: [
    { name: 'bias', calibrationTypes: ['bias'], match: ['BINNING'], withinHours: 24, count: 10 },
    {
      name: 'flats and arcs',
      calibrationTypes: ['flatlamp', 'arclamp', 'trace'],
      match: ['SLMSKNAM', 'BINNING'],
      withinHours: 24,
      select: 'all',
    },
  ],
  notes:
    'ESI writes the UT time in UT. The mode (echellette, low dispersion, imaging) follows from PRISMNAM, ' +
    'LDFLTNAM and IMFLTNAM. The original file name is OUTFILE + FRAMENO (4 digits) + ".fits".',
} satisfies InstrumentInput;
