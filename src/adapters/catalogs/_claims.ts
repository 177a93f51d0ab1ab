/**
 * Which records a claim may hand out, for every catalog: active states, or FAILED with the next attempt due
 * (a FAILED record without `nextAttemptAt` counts as due), and a lease that is free, expired or the claimer's own.
 * Internal to src/adapters/catalogs.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import { STATES, isFinal, type StateName } from '../../core/lifecycle/states.js';
import type { ClaimOptions } from '../../core/ports/catalog.js';

/** Non-final states other than FAILED: always claimable (when the lease allows). */
export const WORK_STATES: readonly StateName[] = STATES.filter((s) => !isFinal(s) && s !== 'FAILED');

/** Every non-final state: a source has at most one record in these. */
export const ACTIVE_STATES: readonly StateName[] = STATES.filter((s) => !isFinal(s));

/** A lease: who holds the record and until when (epoch ms). */
export interface Lease {
  owner: string;
  until: number;
}

/** True when the lease lets `owner` claim at `now`. */
export function leaseAllows(lease: Lease | undefined, owner: string, now: number): boolean {
  return lease === undefined || lease.until <= now || lease.owner === owner;
}

/** True when a record in `state` with this `nextAttemptAt` needs work at `now`. */
export function needsWork(state: StateName, nextAttemptAt: number | undefined, now: number): boolean {
  if (state === 'FAILED') return nextAttemptAt === undefined || nextAttemptAt <= now;
  return WORK_STATES.includes(state);
}

/** Validates claim options. @throws IngestError INVALID_OPTIONS naming the field */
export function checkClaim(options: ClaimOptions): void {
  const fail = (field: keyof ClaimOptions, detail: string): never => {
    throw new IngestError('INVALID_OPTIONS', `claim ${field} ${detail}`, { context: { field } });
  };
  if (typeof options.owner !== 'string' || options.owner === '') fail('owner', 'must be a non-empty string');
  if (!Number.isFinite(options.now)) fail('now', `must be a time in epoch ms, got ${options.now}`);
  if (!Number.isFinite(options.leaseMs) || options.leaseMs <= 0) fail('leaseMs', `must be positive, got ${options.leaseMs}`);
  if (!Number.isInteger(options.limit) || options.limit < 0) fail('limit', `must be an integer ≥ 0, got ${options.limit}`);
}
