/**
 * Guarding the holdings: the scrub (re-verification of every copy, with repair and reconciliation) and its
 * pieces. See docs/scrub.md.
 *
 * @module
 */
export { scrub, scrubCoverage, type ScrubOptions, type ScrubReport, type ScrubProgress, type ScrubCoverage, type ScrubProblem } from './scrub.js';
export { fileCursor, memoryCursor, SCRUB_CURSOR_FILE, type CursorStore, type ScrubCursor } from './_cursor.js';
export { parseRate, parseDuration, tokenBucket, type RateLimiter } from './_rate.js';
export { reconcile, listStorage, type Reconciliation, type ReconcileHooks } from './_reconcile.js';
