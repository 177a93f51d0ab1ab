/**
 * A generic FITS instrument: the fallback for files no other description claims. It reads the common FITS
 * keywords, guesses the image type from IMAGETYP/OBSTYPE, and builds an archive id from the observation date and
 * time and the file's content digest. It has no aliases, so `findInstrument` picks it only for INSTRUME = generic.
 */
import type { InstrumentInput } from '../../core/instruments/schema.js';

export const generic = {
  name: 'generic',
  aliases: [],
  keywordMap: {
    'DATE-OBS': ['DATE-OBS', 'DATE-BEG', 'DATE'],
    UTC: ['TIME-OBS', 'UTC', 'UT', 'UTC-OBS'],
    OFNAME: ['FILENAME', 'ORIGFILE', 'OFNAME'],
    IMTYPE: ['IMAGETYP', 'OBSTYPE', 'IMTYPE'],
  },
  archiveId: {
    scheme: 'template',
    template: '{PREFIX}.{DATE:YYYYMMDD}.{SECONDS:5}.{FRACTION:2}.{DIGEST:8}',
    defaultPrefix: 'FITS',
  },
  outputKeywords: { archiveId: 'ARCHID', imageType: 'ARCIMTYP' },
  imageTypes: ['object', 'bias', 'dark', 'flatlamp', 'domeflat', 'twiflat', 'arclamp', 'focus', 'undefined'],
  imageTypeRules: [
    {
      fromKeyword: 'IMTYPE',
      map: {
        object: 'object', light: 'object', science: 'object', 'light frame': 'object',
        bias: 'bias', zero: 'bias', 'bias frame': 'bias',
        dark: 'dark', 'dark frame': 'dark',
        flat: 'flatlamp', 'flat field': 'flatlamp', 'flat frame': 'flatlamp', domeflat: 'domeflat',
        skyflat: 'twiflat', twiflat: 'twiflat',
        arc: 'arclamp', comp: 'arclamp', comparison: 'arclamp', focus: 'focus',
      },
    },
  ],
  dateRepair: { dateFormats: ['iso-datetime', 'iso-date'], timeFromDateTime: true },
  keywordTable: [
    { keyword: 'ARCHID', type: 'string', width: 48, nullable: false, source: 'derived', description: 'Archive id' },
    { keyword: 'ARCIMTYP', type: 'string', width: 16, nullable: false, source: 'derived', description: 'Image type' },
    { keyword: 'INSTRUME', type: 'string', width: 68, description: 'Instrument' },
    { keyword: 'TELESCOP', type: 'string', width: 68, description: 'Telescope' },
    { keyword: 'OBSERVER', type: 'string', width: 68, description: 'Observer' },
    { keyword: 'OBJECT', type: 'string', width: 68, description: 'Object name' },
    { keyword: 'DATE-OBS', column: 'date_obs', type: 'date', nullable: false, description: 'UT date of observation' },
    { keyword: 'EXPTIME', type: 'real', min: 0, unit: 's', description: 'Exposure time' },
    { keyword: 'FILTER', type: 'string', width: 32, description: 'Filter' },
    { keyword: 'RA', type: 'string', width: 24, description: 'Right ascension as written' },
    { keyword: 'DEC', type: 'string', width: 24, description: 'Declination as written' },
  ],
  paths: { reject: [{ glob: '*.tmp' }, { glob: '.*' }, { glob: '*~' }] },
  notes: 'Use it as the fallback, or copy it as the start of a description for a new instrument.',
} satisfies InstrumentInput;
