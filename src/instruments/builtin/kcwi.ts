/** KCWI, the Keck Cosmic Web Imager (Keck II): blue and red IFU spectrograph arms and a focal-plane camera. */
import type { InstrumentInput } from '../../core/instruments/schema.js';
import { keck, keckColumns, keckDaytimeCalibrationRule, keckKeywordMap } from './_keck.js';

const calibrations = ['bias', 'dark', 'arclamp', 'flatlamp', 'contbars', 'domeflat', 'twilightflat', 'fpc'];

export const kcwi = {
  ...keck,
  name: 'KCWI',
  aliases: ['KCWI', 'KCWI-BLUE', 'KCWI-RED'],
  telescope: 'Keck II',
  keywordMap: keckKeywordMap({ UTC: ['UT', 'UTC'] }),
  archiveId: {
    scheme: 'keck',
    prefixRules: [
      { when: { keyword: 'CAMERA', equals: 'BLUE' }, prefix: 'KB' },
      { when: { keyword: 'CAMERA', equals: 'RED' }, prefix: 'KR' },
      { when: { keyword: 'CAMERA', equals: 'FPC' }, prefix: 'KF' },
      {
        when: { keyword: 'CAMERA', in: ['SVC', 'SLITVIEW'] },
        prefix: 'KS',
        note: 'KS is a KOA prefix for KCWI; the CAMERA value that selects it is assumed here',
      },
    ],
  },
  imageTypes: [...calibrations, 'object', 'undefined'],
  imageTypeRules: [
    { when: { keyword: 'CAMERA', equals: 'FPC' }, type: 'fpc' },
    { when: { keyword: 'XPOSURE', equals: 0 }, type: 'bias' },
    {
      fromKeyword: 'IMTYPE',
      map: {
        OBJECT: 'object', BIAS: 'bias', DARK: 'dark', ARCLAMP: 'arclamp', FLATLAMP: 'flatlamp',
        CONTBARS: 'contbars', DOMEFLAT: 'domeflat', TWIFLAT: 'twilightflat',
      },
    },
  ],
  keywordTable: [
    ...keckColumns,
    { keyword: 'FRAMENO', type: 'integer', min: 0, description: 'Frame number' },
    { keyword: 'CAMERA', type: 'string', width: 32, allowed: ['BLUE', 'RED', 'FPC'], description: 'Camera' },
    { keyword: 'IMTYPE', type: 'string', width: 32, description: 'Image type written by the instrument' },
    { keyword: 'STATEID', type: 'string', width: 32, description: 'Instrument configuration state id' },
    { keyword: 'STATENAM', type: 'string', width: 68, description: 'Instrument configuration state name' },
    { keyword: 'IFUNAM', type: 'string', width: 16, allowed: ['Small', 'Medium', 'Large', 'FPCam', 'Aux'] },
    { keyword: 'BGRATNAM', type: 'string', width: 32, description: 'Blue grating' },
    { keyword: 'BFILTNAM', type: 'string', width: 32, description: 'Blue filter' },
    { keyword: 'BCWAVE', type: 'real', min: 0, unit: 'Angstrom', description: 'Blue central wavelength' },
    { keyword: 'BNASNAM', type: 'string', width: 32, description: 'Blue nod-and-shuffle mask position' },
    { keyword: 'RGRATNAM', type: 'string', width: 32, description: 'Red grating' },
    { keyword: 'RCWAVE', type: 'real', min: 0, unit: 'Angstrom', description: 'Red central wavelength' },
    { keyword: 'BINNING', type: 'string', width: 8, description: 'Binning: serial, parallel' },
    { keyword: 'AMPMODE', type: 'string', width: 32, description: 'Detector readout mode' },
    { keyword: 'CCDMODE', type: 'integer', allowed: [0, 1], description: 'CCD speed mode (0 slow, 1 fast)' },
    { keyword: 'XPOSURE', type: 'real', min: 0, unit: 's', description: 'Exposure time' },
    { keyword: 'CALTYPE', type: 'string', width: 32, description: 'Image type according to the calibration unit' },
    { keyword: 'WAVEBLUE', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Blue end wavelength' },
    { keyword: 'WAVECNTR', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Central wavelength' },
    { keyword: 'WAVERED', type: 'real', unit: 'Angstrom', source: 'derived', description: 'Red end wavelength' },
  ],
  proprietaryRules: keckDaytimeCalibrationRule(calibrations),
  calibrationRules: [
    {
      name: 'bias',
      calibrationTypes: ['bias'],
      match: ['CAMERA', 'BINNING', 'AMPMODE', 'CCDMODE'],
      withinHours: 24,
      count: 7,
    },
    { name: 'arcs and bars', calibrationTypes: ['arclamp', 'contbars'], match: ['STATEID'], withinHours: 24 },
    {
      name: 'flats',
      calibrationTypes: ['flatlamp', 'domeflat', 'twilightflat'],
      match: ['STATEID'],
      withinHours: 24,
      count: 6,
    },
  ],
  keywordTrigger: {
    // KOA's dep-rti monitors kbds.LOUTFILE (blue) and kfcs.LASTFILE (focal-plane camera) with ITERATION as the
    // heartbeat. The red arm (KCRM) key is assumed by analogy. Keck's data disks are under /s (/s/sdata1400…);
    // deployments set their own roots with the trigger's `roots` option.
    announce: [{ key: 'kbds.LOUTFILE' }, { key: 'krds.LOUTFILE' }, { key: 'kfcs.LASTFILE' }],
    roots: ['/s'],
    heartbeat: [
      { key: 'kbds.ITERATION', staleAfterMs: 10_000 },
      { key: 'kfcs.ITERATION', staleAfterMs: 90_000 },
    ],
  },
  notes:
    'KCWI writes the UT time in UT. The prefix follows CAMERA (BLUE, RED, FPC). The real pipeline (KCWI_DRP) groups ' +
    'calibrations by STATEID; the rules above do the same. Daytime calibrations are public at once.',
} satisfies InstrumentInput;
