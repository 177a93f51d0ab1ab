import { describe, expect, it } from 'vitest';
import { calibrationSetId, type ValidityRange } from '../../../src/core/processing/calibration-set.js';
import { certifyRange, decertifyRange, resolveCalibration } from '../../../src/core/processing/validity.js';
import { isIngestError } from '../../../src/core/errors.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20);
/** A tiny manual clock: the certification times come from it, never from Date.now(). */
const clock = { t: T0, now: () => clock.t, advance: (ms: number) => void (clock.t += ms) };

function range(version: number, from: number, to: number | null, kind = 'imaging'): ValidityRange {
  return { setId: calibrationSetId('KCWI', kind, version), instrument: 'KCWI', kind, version, from, to, certifiedAt: clock.now(), certifiedBy: 'test' };
}

describe('validity ranges', () => {
  it('refuses an overlapping range of the same kind and accepts other kinds and adjacent ranges', () => {
    let { ranges } = certifyRange([], range(1, T0, T0 + 24 * H));
    clock.advance(H);
    ranges = certifyRange(ranges, range(2, T0 + 24 * H, T0 + 48 * H)).ranges; // adjacent: [from, to) half-open
    ranges = certifyRange(ranges, range(1, T0, null, 'spectro')).ranges; // another kind
    expect(ranges).toHaveLength(3);
    let error: unknown;
    try {
      certifyRange(ranges, range(3, T0 + 23 * H, T0 + 25 * H));
    } catch (e) {
      error = e;
    }
    expect(isIngestError(error, 'CALIBRATION_OVERLAP')).toBe(true);
    expect(String(error)).toContain('KCWI/imaging/v1');
    expect(() => certifyRange([], range(1, T0, T0))).toThrow(/empty/);
  });

  it('decertifying the middle of a range splits it in two', () => {
    const { ranges } = certifyRange([], range(1, T0, T0 + 10 * H));
    const out = decertifyRange(ranges, { instrument: 'KCWI', kind: 'imaging', from: T0 + 4 * H, to: T0 + 6 * H });
    expect(out.ranges.map((r) => [r.from - T0, r.to! - T0])).toEqual([[0, 4 * H], [6 * H, 10 * H]]);
    expect(out.removed.map((r) => [r.from - T0, r.to! - T0])).toEqual([[4 * H, 6 * H]]);
    // the hole resolves to nothing exact; the fallback is reported with its distance
    const choice = resolveCalibration(out.ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 + 5.5 * H, fallbackMs: 2 * H });
    expect(choice).toMatchObject({ setId: 'KCWI/imaging/v1', exact: false, distanceMs: 0.5 * H });
    expect(choice.reason).toMatch(/0\.50 h away/);
  });

  it('"latest" resolves per observation time, and recertification reports what it replaced', () => {
    let { ranges } = certifyRange([], range(1, T0, null));
    const replacement = certifyRange(ranges, range(2, T0 + 24 * H, null), { replace: true });
    ranges = replacement.ranges;
    expect(replacement.replaced).toEqual([expect.objectContaining({ setId: 'KCWI/imaging/v1', from: T0 + 24 * H, to: null })]);
    expect(resolveCalibration(ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 + 3 * H }).setId).toBe('KCWI/imaging/v1');
    expect(resolveCalibration(ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 + 30 * H }).setId).toBe('KCWI/imaging/v2');
    // an explicit version is used even out of its range, and says so
    const asked = resolveCalibration(ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 + 30 * H, calibration: 1 });
    expect(asked).toMatchObject({ setId: 'KCWI/imaging/v1', exact: false, distanceMs: 6 * H });
  });

  it('never falls back silently: beyond the limit it is CALIBRATION_NOT_FOUND naming the closest set', () => {
    const { ranges } = certifyRange([], range(1, T0, T0 + H));
    expect(() => resolveCalibration(ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 + 5 * H, fallbackMs: 2 * H })).toThrow(/closest set, KCWI\/imaging\/v1, is 4\.00 h away/);
    expect(() => resolveCalibration(ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 + 5 * H })).toThrow(/CALIBRATION_NOT_FOUND/);
    expect(() => resolveCalibration(ranges, { instrument: 'KCWI', kind: 'spectro', at: T0 })).toThrow(/no KCWI\/spectro calibration set is certified/);
    expect(resolveCalibration(ranges, { instrument: 'KCWI', kind: 'imaging', at: T0 - H, fallbackMs: 2 * H })).toMatchObject({ exact: false, distanceMs: H });
  });
});
