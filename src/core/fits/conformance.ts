/**
 * Which standard violations a lenient read found can be archived, repaired, or must be refused. An archive promises
 * copies that fitsverify accepts, so violations it counts as errors — and that cannot be repaired without guessing
 * — refuse the file; a missing fill can be padded losslessly; a few violations fitsverify tolerates are a matter of
 * the instrument's policy.
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import type { FitsWarning } from './hdu-stream.js';

/** An instrument's policy for non-conforming input (the `conformance` field of a description). */
export interface ConformancePolicy {
  /** A last data or header block without its fill: pad it (`repair`) or refuse the file. */
  missingFill: 'repair' | 'reject';
  /** Violations fitsverify tolerates: archive with a warning (`warn`) or refuse the file. */
  minorIssues: 'warn' | 'reject';
}

/** The policy of instruments that say nothing: repair what is lossless, warn about what fitsverify tolerates. */
export const DEFAULT_CONFORMANCE: ConformancePolicy = { missingFill: 'repair', minorIssues: 'warn' };

/** Keywords that describe the structure: repeating one makes the file ambiguous (fitsverify error). */
const STRUCTURAL = /^(SIMPLE|BITPIX|NAXIS\d*|XTENSION|PCOUNT|GCOUNT|EXTEND|GROUPS|TFIELDS|TFORM\d+|TBCOL\d+|THEAP|END)$/;

/** What a violation means for the archive. */
export type ViolationClass = 'fill' | 'minor' | 'error' | 'none';

/** Classifies one lenient-read warning. */
export function classifyViolation(warning: FitsWarning): ViolationClass {
  switch (warning.code) {
    case 'MISSING_DATA_FILL':
    case 'NO_END_PADDING':
      return 'fill';
    case 'TRAILING_BLOCKS':
      return 'none';
    case 'BAD_VALUE_INDICATOR':
      return 'minor';
    case 'DUPLICATE_KEYWORD':
      return warning.keyword !== undefined && STRUCTURAL.test(warning.keyword) ? 'error' : 'minor';
    default:
      return 'error';
  }
}

function located(w: FitsWarning): string {
  const where = [w.hdu !== undefined ? `HDU ${w.hdu}` : '', w.card !== undefined ? `card ${w.card}` : '', w.offset !== undefined ? `byte ${w.offset}` : '']
    .filter(Boolean)
    .join(' ');
  return `${where}${w.keyword ? ` (${w.keyword})` : ''}: ${w.code} ${w.message}`;
}

/**
 * Applies a policy to the warnings of a lenient read. Returns the error that refuses the file (the first HDU and
 * byte offset at fault in its context, every violation in its message), or undefined when the file may be
 * archived — repaired where `missingFill` is `repair`.
 */
export function judgeConformance(warnings: readonly FitsWarning[], policy: ConformancePolicy, context: ErrorContext = {}): IngestError | undefined {
  const refused = warnings.filter((w) => {
    const kind = classifyViolation(w);
    return kind === 'error' || (kind === 'minor' && policy.minorIssues === 'reject') || (kind === 'fill' && policy.missingFill === 'reject');
  });
  const first = refused[0];
  if (!first) return undefined;
  const onlyFill = refused.every((w) => classifyViolation(w) === 'fill');
  const where: ErrorContext = { ...context };
  if (first.hdu !== undefined) where.hdu = first.hdu;
  if (first.offset !== undefined) where.offset = first.offset;
  if (first.card !== undefined) where.card = first.card;
  if (first.keyword !== undefined) where.keyword = first.keyword;
  const list = refused.map(located).join('; ');
  if (onlyFill) return new IngestError('MISSING_DATA_FILL', `the file is not padded to whole 2880-byte blocks: ${list}`, { context: where });
  return new IngestError('NONCONFORMING_HEADER', `${refused.length} violation(s) of the FITS standard fitsverify would reject: ${list}`, {
    context: { ...where, issues: refused.map((w) => `${w.hdu ?? 0}:${w.card ?? 0}:${w.code}`) },
  });
}
