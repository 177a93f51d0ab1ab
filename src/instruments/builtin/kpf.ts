/** KPF, the Keck Planet Finder (Keck I): a stabilized high-resolution spectrograph for precise radial velocities. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckDaytimeCalibrationRule, keckKeywordMap, keckSemester } from './_keck.js';

const types = ['object', 'bias', 'dark', 'arclamp', 'flatlamp', 'domeflat', 'twiflat'];

export const kpf = {
  ...keck,
  name: 'KPF',
  aliases: ['KPF'],
  telescope: 'Keck I',
  keywordMap: keckKeywordMap({
    'DATE-OBS': ['DATE-OBS'],
    PROGID: ['PROGNAME', 'GRPROGNA', 'RDPROGNA'],
    ELAPTIME: ['ELAPTIME', 'ELAPSED'],
  }),
  archiveId: { scheme: 'keck', defaultPrefix: 'KP' },
  imageTypes: [...types, 'undefined'],
  imageTypeRules: [{ fromKeyword: 'IMTYPE', map: Object.fromEntries(types.map((t) => [t, t])) }],
  keywordTable: [
    ...keckColumns,
    { keyword: 'IMTYPE', type: 'string', width: 16, description: 'Image type set by the observing script' },
    { keyword: 'SCI-OBJ', column: 'sci_obj', type: 'string', width: 32, description: 'Source in the science fibers' },
    { keyword: 'SKY-OBJ', column: 'sky_obj', type: 'string', width: 32, description: 'Source in the sky fiber' },
    { keyword: 'CAL-OBJ', column: 'cal_obj', type: 'string', width: 32, description: 'Source in the cal fiber' },
    { keyword: 'GREEN', type: 'string', width: 4, allowed: ['YES', 'NO'], description: 'Green camera read' },
    { keyword: 'RED', type: 'string', width: 4, allowed: ['YES', 'NO'], description: 'Red camera read' },
    { keyword: 'CA_HK', type: 'string', width: 4, allowed: ['YES', 'NO'], description: 'Ca H&K camera read' },
    { keyword: 'EXPTIME', type: 'real', min: 0, unit: 's', description: 'Requested exposure time' },
    { keyword: 'DATE-BEG', column: 'date_beg', type: 'datetime', description: 'Exposure start (UT)' },
    { keyword: 'DATE-END', column: 'date_end', type: 'datetime', description: 'Exposure end (UT)' },
    { keyword: 'GAIAID', type: 'string', width: 32, description: 'Gaia DR3 id of the target' },
    { keyword: '2MASSID', type: 'string', width: 32, description: '2MASS id of the target' },
    { keyword: 'TARGTEFF', type: 'real', min: 0, unit: 'K', description: 'Target effective temperature' },
    { keyword: 'WAVEBLUE', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Blue end (cameras read)' },
    { keyword: 'WAVERED', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Red end (cameras read)' },
  ],
  proprietaryRules: keckDaytimeCalibrationRule(types.filter((t) => t !== 'object')),
  calibrationRules: [
    { name: 'bias and darks', calibrationTypes: ['bias', 'dark'], withinHours: 24, select: 'all' },
    { name: 'lamps', calibrationTypes: ['arclamp', 'flatlamp'], withinHours: 24, select: 'all' },
  ],
  semester: { ...keckSemester, shiftHours: 0 },
  notes:
    'KPF names its files in KOAID form already (KP.YYYYMMDD.SSSSS.ss in OFNAME); KOA reuses that id when it is ' +
    'valid, and the keck scheme gives the same id from DATE-OBS and UTC. KOA takes KPF semesters from the UT ' +
    'date without the 20-hour shift. The program comes from PROGNAME, or from the green or red camera copies.',
} satisfies InstrumentInput;
