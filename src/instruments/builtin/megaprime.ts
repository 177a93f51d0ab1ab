/**
 * MegaPrime/MegaCam, the wide-field imager of the Canada-France-Hawaii Telescope: a non-Keck example. CFHT names
 * raw files by exposure number and a type letter (`2345678o.fits`: o object, b bias, d dark, f flat); the
 * template scheme rebuilds that name as the archive id.
 */
import type { InstrumentInput } from '../../core/instruments/schema.js';

const obstype = (value: string) => ({ keyword: 'OBSTYPE', equals: value }) as const;

export const megaprime = {
  name: 'MegaPrime',
  aliases: ['MegaPrime', 'MegaCam'],
  telescope: 'CFHT',
  observatory: 'Canada-France-Hawaii Telescope',
  site: { name: 'Maunakea', utcOffsetHours: -10 },
  keywordMap: {
    'DATE-OBS': ['DATE-OBS', 'DATE'],
    UTC: ['UTC-OBS', 'UTC'],
    FRAMENO: ['EXPNUM'],
    PROGID: ['RUNID'],
    OFNAME: ['FILENAME'],
  },
  archiveId: {
    scheme: 'template',
    template: '{KEYWORD:EXPNUM}{PREFIX}',
    prefixRules: [
      { when: obstype('OBJECT'), prefix: 'o' },
      { when: obstype('BIAS'), prefix: 'b' },
      { when: obstype('DARK'), prefix: 'd' },
      { when: obstype('FLAT'), prefix: 'f' },
    ],
  },
  outputKeywords: { archiveId: 'ARCHID', imageType: 'ARCIMTYP' },
  imageTypes: ['object', 'bias', 'dark', 'twiflat', 'undefined'],
  imageTypeRules: [
    { fromKeyword: 'OBSTYPE', map: { OBJECT: 'object', BIAS: 'bias', DARK: 'dark', FLAT: 'twiflat' } },
  ],
  dateRepair: { dateFormats: ['iso-date', 'iso-datetime'] },
  keywordTable: [
    { keyword: 'ARCHID', type: 'string', width: 16, nullable: false, source: 'derived', description: 'Archive id' },
    { keyword: 'ARCIMTYP', type: 'string', width: 16, nullable: false, source: 'derived', description: 'Image type' },
    { keyword: 'EXPNUM', type: 'integer', min: 0, nullable: false, description: 'CFHT exposure number' },
    { keyword: 'OBSTYPE', type: 'string', width: 16, description: 'Observation type' },
    { keyword: 'INSTRUME', type: 'string', width: 32, description: 'Instrument' },
    { keyword: 'RUNID', type: 'string', width: 16, description: 'Observing run (semester, agency, program)' },
    { keyword: 'OBJECT', type: 'string', width: 68, description: 'Object name' },
    { keyword: 'FILTER', type: 'string', width: 16, description: 'Filter, e.g. r.MP9601' },
    { keyword: 'EXPTIME', type: 'real', min: 0, unit: 's', description: 'Exposure time' },
    { keyword: 'DATE-OBS', column: 'date_obs', type: 'date', nullable: false, description: 'UT date' },
    { keyword: 'UTC-OBS', column: 'utc_obs', type: 'string', width: 16, description: 'UT time of the exposure start' },
    { keyword: 'MJD-OBS', column: 'mjd_obs', type: 'real', description: 'Modified Julian date' },
    { keyword: 'RA', type: 'string', width: 16, description: 'Right ascension' },
    { keyword: 'DEC', type: 'string', width: 16, description: 'Declination' },
    { keyword: 'AIRMASS', type: 'real', min: 0, description: 'Air mass' },
    { keyword: 'CCDBIN1', type: 'integer', min: 1, description: 'Binning along axis 1' },
    { keyword: 'CCDBIN2', type: 'integer', min: 1, description: 'Binning along axis 2' },
  ],
  proprietaryMonths: 12,
  calibrationRules: [
    { name: 'bias', calibrationTypes: ['bias'], match: ['CCDBIN1', 'CCDBIN2'], withinHours: 72, select: 'all' },
    {
      name: 'flats',
      calibrationTypes: ['twiflat'],
      match: ['FILTER', 'CCDBIN1', 'CCDBIN2'],
      withinHours: 168,
      select: 'all',
    },
  ],
  paths: { accept: [{ regex: '\\d{6,8}[obdf]\\.fits(?:\\.fz)?$' }], reject: [{ glob: '.*' }] },
  semester: { shiftHours: 10, starts: [{ name: 'A', start: '02-01' }, { name: 'B', start: '08-01' }] },
  notes:
    'Frames of other OBSTYPE values get no prefix and therefore no archive id (ARCHIVE_ID_FAILED); add a rule ' +
    'for them if they are to be archived. Semesters follow the Hawaii date.',
} satisfies InstrumentInput;
