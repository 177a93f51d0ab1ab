/** HIRES, the High Resolution Echelle Spectrometer (Keck I). */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckKeywordMap } from './_keck.js';

const quartz = { keyword: 'LAMPNAME', contains: 'quartz' } as const;
const thar = { keyword: 'LAMPNAME', contains: 'thar' } as const;

export const hires = {
  ...keck,
  name: 'HIRES',
  aliases: ['HIRES', 'HIRESB', 'HIRESR'],
  telescope: 'Keck I',
  keywordMap: keckKeywordMap(),
  archiveId: { scheme: 'keck', defaultPrefix: 'HI' },
  imageTypes: ['object', 'bias', 'dark', 'flatlamp', 'trace', 'arclamp', 'focus', 'object_lamp_on', 'undefined'],
  imageTypeRules: [
    { when: { all: [{ keyword: 'AUTOSHUT', equals: 0 }, { keyword: 'TTIME', equals: 0 }] }, type: 'bias' },
    { when: { keyword: 'AUTOSHUT', equals: 0 }, type: 'dark' },
    {
      when: { all: [{ any: [quartz, thar] }, { keyword: 'LMIRRIN', equals: 0 }, { keyword: 'HATCLOS', equals: 0 }] },
      type: 'object_lamp_on',
      note: 'a lamp is on but the lamp mirror is out and the hatch open',
    },
    {
      when: { all: [{ any: [quartz, thar] }, { keyword: 'LMIRRIN', equals: 0 }, { keyword: 'HATCLOS', equals: 1 }] },
      type: 'undefined',
    },
    { when: { all: [quartz, { keyword: 'DECKNAME', equals: 'D5' }] }, type: 'trace' },
    { when: quartz, type: 'flatlamp' },
    { when: { all: [thar, { keyword: 'CATCUR1', gte: 5 }, { keyword: 'DECKNAME', equals: 'D5' }] }, type: 'focus' },
    { when: { all: [thar, { keyword: 'CATCUR1', gte: 5 }] }, type: 'arclamp' },
    { when: { any: [thar, { keyword: 'LAMPNAME', contains: 'undefined' }] }, type: 'undefined' },
    { when: { all: [{ keyword: 'HATCLOS', equals: 1 }, { keyword: 'TTIME', equals: 0 }] }, type: 'bias' },
    { when: { keyword: 'HATCLOS', equals: 1 }, type: 'dark' },
    { when: { keyword: 'TTIME', equals: 0 }, type: 'bias' },
    { when: { keyword: 'LAMPNAME', equals: 'none' }, type: 'object' },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENO', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'OUTFILE', type: 'string', width: 32, description: 'Output file name root' },
    { keyword: 'DECKNAME', type: 'string', width: 8, description: 'Decker' },
    { keyword: 'XDISPERS', type: 'string', width: 8, allowed: ['RED', 'UV'], description: 'Cross disperser' },
    { keyword: 'ECHANGL', type: 'real', unit: 'deg', description: 'Echelle angle' },
    { keyword: 'XDANGL', type: 'real', unit: 'deg', description: 'Cross disperser angle' },
    { keyword: 'FIL1NAME', type: 'string', width: 16, description: 'Filter wheel 1' },
    { keyword: 'FIL2NAME', type: 'string', width: 16, description: 'Filter wheel 2' },
    { keyword: 'IODIN', type: 'boolean', description: 'Iodine cell in the beam' },
    { keyword: 'LAMPNAME', type: 'string', width: 16, description: 'Calibration lamp' },
    { keyword: 'BINNING', type: 'string', width: 8, description: 'Binning' },
    { keyword: 'CCDGAIN', type: 'string', width: 8, allowed: ['low', 'high'], description: 'CCD gain setting' },
    { keyword: 'AMPMODE', type: 'string', width: 16, description: 'Amplifier mode' },
    { keyword: 'TTIME', type: 'real', min: 0, unit: 's', description: 'Requested exposure time' },
    { keyword: 'EXPTIME', type: 'real', min: 0, unit: 's', description: 'Exposure time' },
    { keyword: 'SLITWIDT', type: 'real', min: 0, unit: 'arcsec', source: 'derived', description: 'Slit width on sky' },
    { keyword: 'WAVEBLUE', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Blue end wavelength' },
    { keyword: 'WAVECNTR', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Central wavelength' },
    { keyword: 'WAVERED', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Red end wavelength' },
  ],
  calibrationRules: [
    { name: 'bias', calibrationTypes: ['bias'], match: ['BINNING', 'CCDGAIN', 'AMPMODE'], withinHours: 24, count: 5 },
    {
      name: 'flats and arcs',
      calibrationTypes: ['flatlamp', 'arclamp', 'trace'],
      match: ['DECKNAME', 'XDISPERS', 'ECHANGL', 'XDANGL', 'BINNING', 'FIL1NAME'],
      withinHours: 24,
      select: 'all',
    },
  ],
  keywordTrigger: {
    // KOA's dep-rti: when hiccd.WDISK becomes false the disk write is done; the path is
    // {OUTDIR}/{OUTFILE}{LFRAMENO:4}.fits; INFOMCLK is the heartbeat.
    announce: {
      directory: 'hiccd.OUTDIR',
      name: 'hiccd.OUTFILE',
      frame: { key: 'hiccd.LFRAMENO', digits: 4 },
      when: { key: 'hiccd.WDISK', equals: false },
    },
    roots: ['/s'],
    heartbeat: { key: 'hiccd.INFOMCLK', staleAfterMs: 10_000 },
  },
  notes:
    'INSTRUME reads "HIRES: High Resolution Echelle Spectrometer"; its first word matches. The original file name ' +
    'is OUTFILE + FRAMENO (4 digits) + ".fits". Image-type rules follow KOA: shutter, lamp, decker, hatch and ' +
    'lamp-mirror states (the ThAr2/CATCUR2 case is folded into CATCUR1).',
} satisfies InstrumentInput;
