/**
 * Calibration sets and their validity ranges. A set is a named, versioned group of archived calibration files
 * (master bias, flats, arcs…) of one instrument and one kind; a {@link ValidityRange} certifies one set version for
 * a half-open interval of observation time `[from, to)` (`to: null` = open-ended), as Rubin's CALIBRATION
 * collections do. Pure data; the rules live in `validity.ts`.
 *
 * @module
 */

/** One archived file of a calibration set. */
export interface CalibrationFileRef {
  /** What the pipeline uses it for: `bias`, `flat`, `arc`… */
  role: string;
  archiveId: string;
  /** SHA-256 of the archived copy (part of the provenance). */
  sha256: string;
}

/** A named, versioned calibration set. Immutable once stored: a new version is a new set. */
export interface CalibrationSet {
  /** `INSTRUMENT/kind/vN`, see {@link calibrationSetId}. */
  id: string;
  instrument: string;
  /** Sets of the same instrument and kind never have overlapping certified ranges. */
  kind: string;
  /** 1, 2, … per instrument and kind. */
  version: number;
  files: CalibrationFileRef[];
  createdAt: number;
  createdBy: string;
  note?: string;
}

/** One certified interval of observation time for one set version. */
export interface ValidityRange {
  setId: string;
  instrument: string;
  kind: string;
  version: number;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive; null = open-ended. */
  to: number | null;
  certifiedAt: number;
  certifiedBy: string;
}

/** The set chosen for one frame, and how far its certified range is from the frame's time. */
export interface CalibrationChoice {
  setId: string;
  version: number;
  /** True when a range certified for this exact time was found. */
  exact: boolean;
  /** 0 when exact; otherwise the distance (ms) from the observation time to the chosen range. */
  distanceMs: number;
  /** Why this set: `certified`, `closest within N h`, `version N asked for`. */
  reason: string;
}

/** The id of a set: `KCWI/imaging/v3`. */
export function calibrationSetId(instrument: string, kind: string, version: number): string {
  return `${instrument}/${kind}/v${version}`;
}

/** True when `[a.from, a.to)` and `[b.from, b.to)` share at least one instant. */
export function rangesOverlap(a: Pick<ValidityRange, 'from' | 'to'>, b: Pick<ValidityRange, 'from' | 'to'>): boolean {
  const aEnd = a.to ?? Number.POSITIVE_INFINITY;
  const bEnd = b.to ?? Number.POSITIVE_INFINITY;
  return a.from < bEnd && b.from < aEnd;
}

/** True when `t` lies in `[range.from, range.to)`. */
export function rangeContains(range: Pick<ValidityRange, 'from' | 'to'>, t: number): boolean {
  return t >= range.from && (range.to === null || t < range.to);
}

/** Distance (ms) from `t` to the range; 0 inside it. */
export function rangeDistance(range: Pick<ValidityRange, 'from' | 'to'>, t: number): number {
  if (rangeContains(range, t)) return 0;
  return t < range.from ? range.from - t : t - (range.to ?? t);
}

/** A range as text: `2026-11-20T00:00:00Z … open`. */
export function formatRange(range: Pick<ValidityRange, 'from' | 'to'>): string {
  const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
  return `${iso(range.from)} … ${range.to === null ? 'open' : iso(range.to)}`;
}
