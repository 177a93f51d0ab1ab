/**
 * Step selection and running: which step moves a record on from its state (the exhaustive {@link NEXT_STEP}),
 * the function that carries out each step (an exhaustive map), and the time bound on a step.
 */
import { IngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import { NEXT_STEP, type StepName } from '../lifecycle/states.js';
import type { Clock } from '../ports/clock.js';
import type { StepContext, StepOutcome } from './_context.js';
import { commit, type CommitResult } from './_commit.js';
import { prepare } from './_prepare.js';
import { stabilize } from './_stabilize.js';
import { transfer } from './_transfer.js';

/** What to do with a record loaded from the catalog. */
export type NextAction =
  /** Run this step. */
  | { kind: 'step'; step: StepName }
  /** FAILED: take RETRY at `at` (epoch ms), then run the step of the state it resumes from. */
  | { kind: 'retry'; at: number }
  /** Final: nothing to do. */
  | { kind: 'none' };

/** The next action for a record in its stored state (at start, after a claim, after a wake-up). */
export function nextAction(record: FileRecord): NextAction {
  if (record.state === 'FAILED') return { kind: 'retry', at: record.nextAttemptAt ?? 0 };
  const step = NEXT_STEP[record.state];
  return step === null ? { kind: 'none' } : { kind: 'step', step };
}

/** What a step ended with: an event to apply, a time to look again, or (commit) the stored transition. */
export type StepResult = StepOutcome | CommitResult;

/** The function of each step. Exhaustive: a new step does not compile until it has one. */
export const STEPS: Readonly<Record<StepName, (ctx: StepContext, record: FileRecord, signal: AbortSignal) => Promise<StepResult>>> = {
  stabilize: (ctx, record) => stabilize(ctx, record),
  prepare: (ctx, record) => prepare(ctx, record),
  transfer: (ctx, record, signal) => transfer(ctx, record, signal),
  commit: (ctx, record, signal) => commit(ctx, record, signal),
};

/** Runs `step` for `record`, failing with STEP_TIMEOUT after `timeoutMs` of the clock. */
export function runStep(ctx: StepContext, step: StepName, record: FileRecord, signal: AbortSignal, timeoutMs: number): Promise<StepResult> {
  return bounded(STEPS[step](ctx, record, signal), ctx.clock, timeoutMs, record, step);
}

/** `work`, or STEP_TIMEOUT once `timeoutMs` has passed (a read that never returns must not hang the run). */
async function bounded<T>(work: Promise<T>, clock: Clock, timeoutMs: number, record: FileRecord, step: StepName): Promise<T> {
  const timer = new AbortController();
  work.catch(() => {}); // if it settles after the timeout, nobody is listening
  const timeout = clock.sleep(timeoutMs, timer.signal).then(
    () => {
      throw new IngestError('STEP_TIMEOUT', `the ${step} step did not finish within ${timeoutMs} ms`, { context: { file: record.source } });
    },
    () => new Promise<never>(() => {}),
  );
  try {
    return await Promise.race([work, timeout]);
  } finally {
    timer.abort();
  }
}
