/**
 * The states of a file's life, and which ones are final.
 *
 * ```
 * DETECTED → STABLE → PREPARED → TRANSFERRING → TRANSFERRED → ARCHIVED → (SUPERSEDED)
 *     side exits: INVALID (permanent), FAILED (transient, retried) → ABANDONED, DUPLICATE
 * ```
 *
 * @module
 */

/** Every state, in the order of a successful life, side exits last. */
export const STATES = [
  'DETECTED',
  'STABLE',
  'PREPARED',
  'TRANSFERRING',
  'TRANSFERRED',
  'ARCHIVED',
  'INVALID',
  'FAILED',
  'ABANDONED',
  'DUPLICATE',
  'SUPERSEDED',
] as const;

/** A state name. */
export type StateName = (typeof STATES)[number];

/** What each state means, and whether a file can leave it without an operator. */
export const STATE_INFO: Record<StateName, { final: boolean; description: string }> = {
  DETECTED: { final: false, description: 'a trigger announced the file; writing may still be under way' },
  STABLE: { final: false, description: 'the file is complete: size stable and every HDU whole' },
  PREPARED: { final: false, description: 'validated, archive id made, normalized copy staged, sums computed' },
  TRANSFERRING: { final: false, description: 'the staged copy is on its way to the archive' },
  TRANSFERRED: { final: false, description: 'the bytes are at the destination and were verified there' },
  ARCHIVED: { final: true, description: 'the catalog transaction committed: the file is in the archive' },
  INVALID: { final: true, description: 'the input is bad (not FITS, truncated, rejected path…); quarantined with a code' },
  FAILED: { final: false, description: 'a transient error; the next attempt is scheduled with backoff' },
  ABANDONED: { final: true, description: 'gave up after the maximum number of attempts; an operator can requeue' },
  DUPLICATE: { final: true, description: 'identical to a file already archived; not archived again' },
  SUPERSEDED: { final: true, description: 'an explicit reingest replaced this archived file' },
};

/** True for states a file stays in until an operator acts. */
export function isFinal(state: StateName): boolean {
  return STATE_INFO[state].final;
}

/** The work the runtime does to move a file out of a state. */
export type StepName = 'stabilize' | 'prepare' | 'transfer' | 'commit';

/**
 * The step that moves a file on from each state; null where no step runs: final states, and FAILED (which waits
 * for its retry time, then takes RETRY back to the state it resumes from). Exhaustive: a new state does not
 * compile until it is listed here.
 */
export const NEXT_STEP: Readonly<Record<StateName, StepName | null>> = {
  DETECTED: 'stabilize',
  STABLE: 'prepare',
  PREPARED: 'transfer',
  TRANSFERRING: 'transfer',
  TRANSFERRED: 'commit',
  ARCHIVED: null,
  INVALID: null,
  FAILED: null,
  ABANDONED: null,
  DUPLICATE: null,
  SUPERSEDED: null,
};
