/** LRIS, the Low Resolution Imaging Spectrometer (Keck I), with its blue (LRISBLUE) and red arms. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap } from './_keck.js';

const blue = { keyword: 'INSTRUME', matches: '^LRISP?BLUE\\b', flags: 'i' } as const;
const red = { keyword: 'INSTRUME', matches: '^LRIS(?:P|PRED)?\\b', flags: 'i' } as const;
const trapdoor = (position: 'open' | 'closed') => ({ keyword: 'TRAPDOOR', equals: position }) as const;
const on = (keyword: string) => ({ keyword, equals: 'on' }) as const;
/** A disperser is in the beam: a grism on the blue side, a grating on the red side. */
const dispersed = {
  any: [
    { all: [blue, { not: { keyword: 'GRISNAME', equals: 'clear' } }] },
    { all: [red, { not: { keyword: 'GRANAME', equals: 'mirror' } }] },
  ],
} as const;
const arcLamps = { any: ['NEON', 'ARGON', 'CADMIUM', 'ZINC', 'KRYPTON', 'XENON', 'FEARGON', 'DEUTERI'].map(on) };

export const lris = {
  ...keck,
  name: 'LRIS',
  aliases: ['LRIS', 'LRISBLUE', 'LRISPBLUE', 'LRISPRED', 'LRISP'],
  telescope: 'Keck I',
  keywordMap: keckKeywordMap(),
  archiveId: {
    scheme: 'keck',
    prefixRules: [
      { when: blue, prefix: 'LB' },
      { when: red, prefix: 'LR' },
    ],
  },
  imageTypes: ['object', 'bias', 'dark', 'flatlamp', 'arclamp', 'focus', 'polcal', 'undefined'],
  imageTypeRules: [
    {
      when: { any: [{ keyword: 'SLITNAME', equals: 'GOH_LRIS' }, { keyword: 'OUTFILE', in: ['rfoc', 'bfoc'] }] },
      type: 'focus',
    },
    { when: { keyword: 'ELAPTIME', equals: 0 }, type: 'bias' },
    {
      when: { all: [trapdoor('open'), { any: ['FLIMAGIN', 'FLSPECTR', 'FLAMP1', 'FLAMP2'].map(on) }] },
      type: 'flatlamp',
    },
    { when: { all: [trapdoor('open'), { keyword: 'CALNAME', in: ['ir', 'hnpb', 'uv'] }] }, type: 'polcal' },
    { when: { all: [trapdoor('open'), { keyword: 'AXESTAT', in: ['tracking', 'slewing'] }] }, type: 'object' },
    { when: { all: [trapdoor('open'), { keyword: 'AUTOSHUT', equals: true }] }, type: 'object' },
    { when: { all: [trapdoor('closed'), { keyword: 'LAMPS', equals: '0,0,0,0,0,1' }] }, type: 'flatlamp' },
    { when: { all: [trapdoor('closed'), { keyword: 'LAMPS', equals: '0,0,0,0,0,0' }] }, type: 'dark' },
    { when: { all: [trapdoor('closed'), { keyword: 'LAMPS', contains: '1' }, dispersed] }, type: 'arclamp' },
    { when: { all: [trapdoor('closed'), on('HALOGEN')] }, type: 'flatlamp' },
    { when: { all: [trapdoor('closed'), arcLamps, dispersed] }, type: 'arclamp' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENO', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'OUTFILE', type: 'string', width: 32, description: 'Output file name root' },
    { keyword: 'OBSMODE', type: 'string', width: 16, allowed: ['IMAGING', 'SPEC'], source: 'derived' },
    { keyword: 'GRANAME', type: 'string', width: 16, description: 'Red grating' },
    { keyword: 'GRANGLE', type: 'real', unit: 'deg', description: 'Red grating angle' },
    { keyword: 'WAVELEN', type: 'real', unit: 'Angstrom', description: 'Red central wavelength' },
    { keyword: 'GRISNAME', type: 'string', width: 16, description: 'Blue grism' },
    { keyword: 'DICHNAME', type: 'string', width: 16, description: 'Dichroic' },
    { keyword: 'SLITNAME', type: 'string', width: 32, description: 'Slit or mask' },
    { keyword: 'BLUFILT', type: 'string', width: 16, description: 'Blue filter' },
    { keyword: 'REDFILT', type: 'string', width: 16, description: 'Red filter' },
    { keyword: 'TRAPDOOR', type: 'string', width: 8, allowed: ['open', 'closed'], description: 'Trap door' },
    { keyword: 'LAMPS', type: 'string', width: 32, description: 'Calibration lamp states' },
    { keyword: 'BINNING', type: 'string', width: 8, description: 'Binning' },
    { keyword: 'AMPMODE', type: 'string', width: 32, description: 'Amplifier mode' },
    { keyword: 'NUMAMPS', type: 'integer', min: 1, description: 'Amplifiers read' },
  ],
  calibrationRules: [
    { name: 'bias', calibrationTypes: ['bias'], match: ['INSTRUME', 'BINNING', 'AMPMODE'], withinHours: 24, count: 5 },
    {
      name: 'flats and arcs',
      calibrationTypes: ['flatlamp', 'arclamp'],
      match: ['INSTRUME', 'SLITNAME', 'GRANAME', 'GRISNAME', 'DICHNAME', 'BINNING'],
      withinHours: 24,
      select: 'all',
    },
  ],
  notes:
    'The blue and red arms write separate files: INSTRUME LRISBLUE or LRISPBLUE gives prefix LB, LRIS, LRISP or ' +
    'LRISPRED gives LR. Older red headers have no LAMPS keyword; the individual lamp keywords are used then. ' +
    'The original file name is OUTFILE + FRAMENO (4 digits) + ".fits".',
} satisfies InstrumentInput;
