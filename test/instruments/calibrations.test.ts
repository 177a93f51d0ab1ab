import { describe, expect, it } from 'vitest';
import {
  associateCalibrations,
  builtinInstrument,
  observationTime,
  parseInstrument,
  type CalibrationFrame,
} from '../../src/instruments/index.js';

const kcwi = builtinInstrument('kcwi');

let serial = 0;
/** A cataloged frame: `at` is hours after 2026-11-20T00:00 UT. */
function frame(imageType: string, at: number, cards: Record<string, string | number> = {}): CalibrationFrame {
  const t = new Date(Date.UTC(2026, 10, 20) + at * 3_600_000);
  const header = Object.entries({
    'DATE-OBS': t.toISOString().slice(0, 10),
    UT: t.toISOString().slice(11, 22),
    CAMERA: 'BLUE',
    BINNING: '2,2',
    CCDMODE: 0,
    STATEID: 'S1',
    ...cards,
  }).map(([keyword, value]) => ({ keyword, value, comment: '' }));
  serial++;
  return { archiveId: `KB.${serial}`, imageType, header };
}

const ids = (frames: { frame: CalibrationFrame }[]) => frames.map((c) => c.frame.archiveId);

describe('associateCalibrations', () => {
  it('keeps the nearest `count` frames of the calibration types, matching keywords, within the window', () => {
    const science = frame('object', 10);
    const biases = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((h) => frame('bias', 10 + (h % 2 ? h : -h) / 2));
    const otherBinning = frame('bias', 10.01, { BINNING: '1,1' });
    const tooFar = frame('bias', 10 + 25);
    const arcs = [frame('arclamp', 9), frame('arclamp', 11, { STATEID: 'S2' }), frame('contbars', 12)];
    const flats = [frame('flatlamp', 8), frame('domeflat', 13), frame('twilightflat', 14)];
    const matches = associateCalibrations(kcwi, science, [science, ...biases, otherBinning, tooFar, ...arcs, ...flats]);
    expect(matches.map((m) => m.rule)).toEqual(['bias', 'arcs and bars', 'flats']);
    // count 7 of 9 matching biases, nearest first (0.5 h, 1 h, 1.5 h…).
    expect(ids(matches[0]!.calibrations)).toEqual(biases.slice(0, 7).map((b) => b.archiveId));
    expect(matches[0]!.calibrations[0]!.hours).toBeCloseTo(0.5, 6);
    expect(matches[0]!.calibrations[1]!.hours).toBeCloseTo(-1, 6);
    // STATEID must match (S2 is excluded); count 1 keeps the nearest of arclamp and contbars.
    expect(ids(matches[1]!.calibrations)).toEqual([arcs[0]!.archiveId]);
    expect(ids(matches[2]!.calibrations).sort()).toEqual(flats.map((f) => f.archiveId).sort());
  });

  it('applies only the rules whose scienceTypes include the frame, and `all` keeps the window in time order', () => {
    const nirspec = builtinInstrument('nirspec');
    const setup = { FILTER: 'NIRSPEC-1', SLITNAME: '0.432x24', ECHLPOS: 63.0, DISPPOS: 34.08, ITIME: 10, COADDS: 1 };
    const science = frame('object', 5, setup);
    const lamps = [frame('arclamp', 7, setup), frame('flatlamp', 3, setup), frame('flatlampoff', 4, setup)];
    const wrongEchelle = frame('flatlamp', 5.5, { ...setup, ECHLPOS: 62.5 });
    const darks = [frame('dark', 5.1, setup), frame('dark', 4, { ...setup, ITIME: 20 })];
    const matches = associateCalibrations(nirspec, science, [...lamps, wrongEchelle, ...darks]);
    expect(matches.map((m) => m.rule)).toEqual(['darks', 'flats and arcs']);
    expect(ids(matches[0]!.calibrations)).toEqual([darks[0]!.archiveId]);
    expect(ids(matches[1]!.calibrations)).toEqual([lamps[1]!.archiveId, lamps[2]!.archiveId, lamps[0]!.archiveId]);
    expect(associateCalibrations(nirspec, frame('dark', 5, setup), lamps)).toEqual([]);
  });

  it('associates standard stars by a rule on their image type, across programs', () => {
    const description = parseInstrument(
      {
        name: 'CAM',
        keywordMap: { UTC: ['UT'] },
        archiveId: { scheme: 'keck', defaultPrefix: 'CM' },
        calibrationRules: [{ name: 'standards', calibrationTypes: ['standard'], match: ['FILTER'], withinHours: 12, count: 2 }],
      },
      'test:cam',
    );
    const science = frame('object', 20, { FILTER: 'r', PROGID: 'K1' });
    const stds = [frame('standard', 21, { FILTER: 'r', PROGID: 'CAL' }), frame('standard', 19.5, { FILTER: 'R ' }), frame('standard', 20.2, { FILTER: 'g' })];
    const [match] = associateCalibrations(description, science, stds);
    expect(ids(match!.calibrations)).toEqual([stds[1]!.archiveId, stds[0]!.archiveId]);
  });

  it('treats a match keyword absent from both frames as equal, from one as different, and reads columns too', () => {
    const science = frame('object', 10);
    const noState = { ...frame('arclamp', 10.5), header: frame('arclamp', 10.5).header.filter((c) => c.keyword !== 'STATEID') };
    expect(associateCalibrations(kcwi, science, [noState])[1]!.calibrations).toEqual([]);
    const scienceNoState = { ...science, header: science.header.filter((c) => c.keyword !== 'STATEID') };
    expect(ids(associateCalibrations(kcwi, scienceNoState, [noState])[1]!.calibrations)).toEqual([noState.archiveId]);
    const fromColumns = { ...noState, archiveId: 'KB.col', columns: { stateid: 'S1' } };
    expect(ids(associateCalibrations(kcwi, science, [fromColumns])[1]!.calibrations)).toEqual(['KB.col']);
  });

  it('reports a science frame without a readable time instead of guessing', () => {
    const science = { ...frame('object', 10), header: [{ keyword: 'CAMERA', value: 'BLUE', comment: '' }] };
    const matches = associateCalibrations(kcwi, science, [frame('bias', 10)]);
    expect(matches).toHaveLength(3);
    expect(matches[0]).toMatchObject({ calibrations: [], problem: expect.stringMatching(/no readable DATE-OBS/) });
  });
});

describe('observationTime', () => {
  it('combines DATE-OBS and the UTC logical name, or reads an ISO date-time', () => {
    expect(observationTime(kcwi, frame('bias', 6.5))).toBe(Date.UTC(2026, 10, 20, 6, 30));
    expect(observationTime(kcwi, { archiveId: 'x', header: [], dateObs: '2026-11-20T01:02:03' })).toBe(Date.UTC(2026, 10, 20, 1, 2, 3));
    expect(observationTime(kcwi, { archiveId: 'x', header: [], dateObs: '2026-11-20' })).toBe(Date.UTC(2026, 10, 20));
    expect(observationTime(kcwi, { archiveId: 'x', header: [] })).toBeUndefined();
  });
});
