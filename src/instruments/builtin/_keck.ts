/**
 * Pieces shared by the W. M. Keck Observatory descriptions (facts from KOA's public dep-rti and KeywordTables
 * repositories, written as fits-ingest data). Internal.
 *
 * @module
 */
import type { InstrumentInput } from '../../core/instruments/schema.js';

type Column = NonNullable<InstrumentInput['keywordTable']>[number];

export const keckObservatory = 'W. M. Keck Observatory';

/** Maunakea, Hawaii time (UT-10). The daytime window is a fixed approximation of sunrise to sunset. */
export const keckSite: InstrumentInput['site'] = {
  name: 'Maunakea',
  utcOffsetHours: -10,
  daytimeUt: { start: '17:30', end: '03:30' },
};

/** Keck semesters: A from 1 Feb, B from 1 Aug, after moving the UT date-time back 20 hours. */
export const keckSemester: NonNullable<InstrumentInput['semester']> = {
  shiftHours: 20,
  starts: [
    { name: 'A', start: '02-01' },
    { name: 'B', start: '08-01' },
  ],
};

/** KOA's DATE-OBS/UTC repair: ISO date, ISO date-time (cut to the date), dd/mm/yy; else the file time. */
export const keckDateRepair: InstrumentInput['dateRepair'] = {
  dateFormats: ['iso-date', 'iso-datetime', 'dmy-slash'],
  twoDigitYearPivot: 50,
  onInvalidDate: 'file-mtime',
  onInvalidTime: 'file-mtime',
};

/** KOA ignores test and temporary files. */
export const keckPaths: InstrumentInput['paths'] = {
  accept: [{ glob: '*.{fits,fits.gz}' }],
  reject: [{ regex: '(?:^|/|[_.-])test', flags: 'i' }, { glob: '*.tmp' }, { glob: '.*' }, { glob: '*~' }],
};

/** PROPINT is 0 for calibrations taken by day, for instruments whose calibrations carry no target information. */
export const keckDaytimeCalibrationRule = (imageTypes: string[]): NonNullable<InstrumentInput['proprietaryRules']> => [
  { imageTypes, daytime: true, months: 0, note: 'KOA policy DKOA-82: daytime calibrations are public at once' },
];

/** Logical names every Keck description maps; instruments override the entries that differ. */
const keckKeywords: Record<string, string[]> = {
  UTC: ['UTC', 'UT'],
  'DATE-OBS': ['DATE-OBS', 'DATE'],
  OFNAME: ['OFNAME'],
  FRAMENO: ['FRAMENO'],
  PROGID: ['PROGNAME', 'PROGID'],
};

/** The Keck keyword map with this instrument's differences. */
export const keckKeywordMap = (overrides: Record<string, string[]> = {}): Record<string, string[]> => ({
  ...keckKeywords,
  ...overrides,
});

/** Keyword names of the instruments that write DATAFILE and FRAMENUM (MOSFIRE, NIRES, NIRSPEC, OSIRIS). */
export const dataFileKeywords = { OFNAME: ['DATAFILE', 'OFNAME'], FRAMENO: ['FRAMENUM', 'FRAMENO'] };

/** Site, dates, paths and semesters, the same for every Keck description. */
export const keck = {
  observatory: keckObservatory,
  site: keckSite,
  dateRepair: keckDateRepair,
  paths: keckPaths,
  semester: keckSemester,
} satisfies Partial<InstrumentInput>;

/** Columns every KOA keyword table has (header values after normalization, and values KOA derives). */
export const keckColumns: Column[] = [
  { keyword: 'KOAID', type: 'string', width: 128, nullable: false, source: 'derived', description: 'KOA archive id (products: <first parent>_<name>, up to 128 characters like every archive id)' },
  { keyword: 'INSTRUME', type: 'string', width: 16, nullable: false, description: 'Instrument' },
  { keyword: 'TELESCOP', type: 'string', width: 16, description: 'Telescope' },
  { keyword: 'DATE-OBS', column: 'date_obs', type: 'date', nullable: false, description: 'UT date of observation' },
  { keyword: 'UTC', type: 'string', width: 16, nullable: false, description: 'UT time of observation' },
  { keyword: 'OFNAME', type: 'string', width: 68, nullable: false, description: 'Original file name' },
  { keyword: 'KOAIMTYP', type: 'string', width: 32, nullable: false, source: 'derived', description: 'Image type' },
  { keyword: 'SEMESTER', type: 'string', width: 8, source: 'derived', description: 'Observing semester' },
  { keyword: 'PROGID', type: 'string', width: 32, description: 'Program id' },
  { keyword: 'PROGPI', type: 'string', width: 68, description: 'Program principal investigator' },
  { keyword: 'PROGINST', type: 'string', width: 32, description: 'Program institution' },
  { keyword: 'PROPINT', type: 'integer', min: 0, max: 240, source: 'derived', description: 'Proprietary months' },
  { keyword: 'DATLEVEL', type: 'integer', min: 0, max: 2, source: 'derived', description: 'Data level' },
  { keyword: 'OBJECT', type: 'string', width: 68, description: 'Object name' },
  { keyword: 'TARGNAME', type: 'string', width: 68, description: 'Target name' },
  { keyword: 'RA', type: 'string', width: 16, description: 'Right ascension as written by DCS' },
  { keyword: 'DEC', type: 'string', width: 16, description: 'Declination as written by DCS' },
  { keyword: 'AIRMASS', type: 'real', min: 0, description: 'Air mass' },
  { keyword: 'ELAPTIME', type: 'real', min: 0, unit: 's', description: 'Total integration time' },
];
