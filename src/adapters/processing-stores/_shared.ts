/** Internals both processing stores use. @module */
import type { ValidityRange } from '../../core/processing/calibration-set.js';

/** Ranges by instrument, kind, start. */
export function rangeOrder(a: ValidityRange, b: ValidityRange): number {
  return a.instrument.localeCompare(b.instrument) || a.kind.localeCompare(b.kind) || a.from - b.from;
}
