/**
 * Validity-range rules: certify (ranges of the same instrument and kind never overlap), decertify part of a range
 * (which splits it), recertify (replace what a new version covers, reporting exactly what was replaced), and
 * resolve the set for an observation time, with a reported fallback to the closest range within a limit.
 * Pure: ranges in, ranges out.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { formatRange, rangeContains, rangeDistance, rangesOverlap, type CalibrationChoice, type ValidityRange } from './calibration-set.js';

const sameKind = (a: Pick<ValidityRange, 'instrument' | 'kind'>, b: Pick<ValidityRange, 'instrument' | 'kind'>): boolean =>
  a.instrument === b.instrument && a.kind === b.kind;

/** What is left of `range` once `[from, to)` is cut out of it: zero, one or two pieces. */
function cut(range: ValidityRange, from: number, to: number | null): { kept: ValidityRange[]; removed: ValidityRange | undefined } {
  if (!rangesOverlap(range, { from, to })) return { kept: [range], removed: undefined };
  const kept: ValidityRange[] = [];
  if (range.from < from) kept.push({ ...range, to: from });
  if (to !== null && (range.to === null || range.to > to)) kept.push({ ...range, from: to });
  const removedFrom = Math.max(range.from, from);
  const removedTo = to === null ? range.to : range.to === null ? to : Math.min(range.to, to);
  return { kept, removed: { ...range, from: removedFrom, to: removedTo } };
}

const byStart = (a: ValidityRange, b: ValidityRange): number => a.from - b.from || a.version - b.version;

/**
 * Adds `range`. Throws CALIBRATION_OVERLAP when a range of the same instrument and kind overlaps it, unless
 * `replace` is set (recertification): then the overlapped parts are decertified first and returned as `replaced`.
 */
export function certifyRange(
  ranges: readonly ValidityRange[],
  range: ValidityRange,
  options: { replace?: boolean } = {},
): { ranges: ValidityRange[]; replaced: ValidityRange[] } {
  if (range.to !== null && range.to <= range.from) {
    throw new IngestError('INVALID_OPTIONS', `the validity range ${formatRange(range)} is empty: it must end after it starts`, { context: { field: 'to' } });
  }
  const clash = ranges.filter((r) => sameKind(r, range) && rangesOverlap(r, range));
  if (clash.length > 0 && !options.replace) {
    const first = clash[0]!;
    throw new IngestError('CALIBRATION_OVERLAP', `${range.setId} (${formatRange(range)}) overlaps ${first.setId} certified for ${formatRange(first)}`, {
      context: { instrument: range.instrument, kind: range.kind, overlaps: clash.map((r) => r.setId) },
    });
  }
  const { ranges: rest, removed } = decertifyRange(ranges, { instrument: range.instrument, kind: range.kind, from: range.from, to: range.to });
  return { ranges: [...rest, range].sort(byStart), replaced: removed };
}

/**
 * Removes `[from, to)` from every range of the instrument and kind (optionally only those of one set id): a range
 * cut in its middle becomes two. Returns the remaining ranges and the removed pieces.
 */
export function decertifyRange(
  ranges: readonly ValidityRange[],
  what: Pick<ValidityRange, 'instrument' | 'kind' | 'from' | 'to'> & { setId?: string },
): { ranges: ValidityRange[]; removed: ValidityRange[] } {
  const out: ValidityRange[] = [];
  const removed: ValidityRange[] = [];
  for (const r of ranges) {
    if (!sameKind(r, what) || (what.setId !== undefined && r.setId !== what.setId)) {
      out.push(r);
      continue;
    }
    const { kept, removed: piece } = cut(r, what.from, what.to);
    out.push(...kept);
    if (piece) removed.push(piece);
  }
  return { ranges: out.sort(byStart), removed };
}

/** How to resolve a set for one frame. */
export interface ResolveOptions {
  instrument: string;
  kind: string;
  /** Observation time (epoch ms). */
  at: number;
  /** `latest` (the range certified for `at`) or an explicit set version. @default 'latest' */
  calibration?: 'latest' | number;
  /** How far (ms) the closest range may be when nothing is certified for `at`. @default 0 (no fallback) */
  fallbackMs?: number;
}

/** The set for one frame, or CALIBRATION_NOT_FOUND. A fallback is never silent: `exact` and `distanceMs` say it. */
export function resolveCalibration(ranges: readonly ValidityRange[], options: ResolveOptions): CalibrationChoice {
  const candidates = ranges.filter((r) => sameKind(r, options) && (options.calibration === undefined || options.calibration === 'latest' || r.version === options.calibration));
  const when = new Date(options.at).toISOString();
  const context = { instrument: options.instrument, kind: options.kind, observed: when };
  if (candidates.length === 0) {
    const what = typeof options.calibration === 'number' ? `version ${options.calibration} of ${options.instrument}/${options.kind} is not certified` : `no ${options.instrument}/${options.kind} calibration set is certified`;
    throw new IngestError('CALIBRATION_NOT_FOUND', what, { context });
  }
  const exact = candidates.find((r) => rangeContains(r, options.at));
  if (exact) return { setId: exact.setId, version: exact.version, exact: true, distanceMs: 0, reason: typeof options.calibration === 'number' ? `version ${exact.version} asked for` : 'certified' };
  const [closest] = [...candidates].sort((a, b) => rangeDistance(a, options.at) - rangeDistance(b, options.at) || b.version - a.version);
  const distanceMs = rangeDistance(closest!, options.at);
  const hours = (distanceMs / 3_600_000).toFixed(2);
  if (typeof options.calibration === 'number') {
    return { setId: closest!.setId, version: closest!.version, exact: false, distanceMs, reason: `version ${closest!.version} asked for, certified ${hours} h away` };
  }
  const limit = options.fallbackMs ?? 0;
  if (distanceMs > limit) {
    throw new IngestError('CALIBRATION_NOT_FOUND', `nothing is certified at ${when}; the closest set, ${closest!.setId}, is ${hours} h away (limit ${(limit / 3_600_000).toFixed(2)} h)`, { context });
  }
  return { setId: closest!.setId, version: closest!.version, exact: false, distanceMs, reason: `closest within ${(limit / 3_600_000).toFixed(2)} h: ${hours} h away` };
}
