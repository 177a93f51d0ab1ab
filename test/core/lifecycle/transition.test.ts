import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCEPTS,
  STATES,
  STATE_INFO,
  backoffDelay,
  createRecord,
  transition,
  type FileRecord,
  type LifecycleEvent,
  type StateName,
} from '../../../src/core/lifecycle/index.js';
import { isIngestError } from '../../../src/core/errors.js';

const T0 = 1_700_000_000_000;
const fresh = (): FileRecord => createRecord({ id: 'r1', source: '/in/a.fits', originalName: 'a.fits', trigger: 'fs' }, T0);
const prepared: LifecycleEvent = {
  type: 'PREPARED',
  instrument: 'KCWI',
  archiveId: 'KB.20260101.00001.00',
  night: '2026-01-01',
  sourceSha256: 'aa',
  staged: '/stage/KB.fits',
  sha256: 'bb',
  stagedSize: 5760,
};
const error = { code: 'IO_ERROR', kind: 'transient' as const, message: 'disk full' };

function run(record: FileRecord, events: LifecycleEvent[], now = T0) {
  const entries = [];
  for (const event of events) {
    const result = transition(record, event, now);
    record = result.record;
    if (result.entry) entries.push(result.entry);
  }
  return { record, entries };
}

describe('transition', () => {
  it('walks the happy path, recording every move and the effects to carry out', () => {
    let r = fresh();
    const steps: string[] = [];
    for (const event of [
      { type: 'STABLE', size: 5760, mtimeMs: T0 },
      prepared,
      { type: 'TRANSFER_STARTED' },
      { type: 'TRANSFERRED', location: '/archive/KB.fits' },
      { type: 'ARCHIVED' },
    ] as LifecycleEvent[]) {
      const result = transition(r, event, T0 + 1);
      expect(result.entry).toMatchObject({ from: r.state, to: result.record.state, cause: event.type, actor: 'runtime' });
      expect(result.record.version).toBe(r.version + 1);
      steps.push(...result.effects.map((e) => (e.type === 'run' ? e.step : e.type === 'emit' ? `emit:${e.event}` : e.type)));
      r = result.record;
    }
    expect(r.state).toBe('ARCHIVED');
    expect(r.archiveId).toBe('KB.20260101.00001.00');
    expect(r.staged).toBeUndefined();
    expect(steps).toEqual(['prepare', 'transfer', 'transfer', 'commit', 'discard-staged', 'emit:archived']);
  });

  it('does not change its input', () => {
    const r = fresh();
    const copy = structuredClone(r);
    transition(r, { type: 'STABLE', size: 1, mtimeMs: 1 }, T0);
    expect(r).toEqual(copy);
  });

  it('schedules retries with exponential backoff and jitter, then abandons', () => {
    let r = run(fresh(), [{ type: 'STABLE', size: 1, mtimeMs: 1 }, prepared, { type: 'TRANSFER_STARTED' }]).record;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const failed = transition(r, { type: 'FAILED', error }, T0, { retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 3000 }, random: () => 1 });
      expect(failed.record.state).toBe('FAILED');
      expect(failed.record.attempts).toBe(attempt);
      expect(failed.record.resumeFrom).toBe('PREPARED');
      expect(failed.effects).toContainEqual({ type: 'schedule', at: failed.record.nextAttemptAt });
      delays.push(failed.record.nextAttemptAt! - T0);
      const retried = transition(failed.record, { type: 'RETRY' }, T0);
      expect(retried.record.state).toBe('PREPARED');
      expect(retried.effects[0]).toEqual({ type: 'run', step: 'transfer' });
      r = run(retried.record, [{ type: 'TRANSFER_STARTED' }]).record;
    }
    expect(delays).toEqual([1000, 2000, 3000]);
    const last = transition(r, { type: 'FAILED', error }, T0, { retry: { maxAttempts: 4 } });
    expect(last.record.state).toBe('ABANDONED');
    expect(last.effects).toContainEqual({ type: 'discard-staged', path: '/stage/KB.fits' });
    expect(last.entry).toMatchObject({ to: 'ABANDONED', code: 'IO_ERROR', message: 'disk full' });
  });

  it('keeps jittered delays between half and all of the exponential ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (attempt, u) => {
        const policy = { maxAttempts: 50, baseDelayMs: 500, maxDelayMs: 60_000 };
        const ceiling = Math.min(60_000, 500 * 2 ** (attempt - 1));
        const d = backoffDelay(attempt, policy, () => u);
        expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(d).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('quarantines invalid files with their code and lets an operator requeue them', () => {
    const invalid = transition(fresh(), { type: 'INVALID', error: { code: 'TRUNCATED', kind: 'invalid', message: 'short' } }, T0);
    expect(invalid.record).toMatchObject({ state: 'INVALID', error: { code: 'TRUNCATED' } });
    expect(invalid.effects).toEqual([{ type: 'emit', event: 'invalid' }]);
    const requeued = transition(invalid.record, { type: 'REQUEUE', actor: 'operator:ana' }, T0);
    expect(requeued.record).toMatchObject({ state: 'DETECTED', attempts: 0 });
    expect(requeued.record.error).toBeUndefined();
    expect(requeued.entry?.actor).toBe('operator:ana');
  });

  it('keeps warnings without changing state or history', () => {
    const r = transition(fresh(), { type: 'WARN', warnings: [{ code: 'DATE_REPAIRED', message: 'x' }] }, T0);
    expect(r.record.state).toBe('DETECTED');
    expect(r.record.warnings).toHaveLength(1);
    expect(r.entry).toBeUndefined();
  });

  it('supersedes archived files only', () => {
    const archived = run(fresh(), [
      { type: 'STABLE', size: 1, mtimeMs: 1 },
      prepared,
      { type: 'TRANSFER_STARTED' },
      { type: 'TRANSFERRED', location: 'x' },
      { type: 'ARCHIVED' },
    ]).record;
    expect(transition(archived, { type: 'SUPERSEDE', by: 'r2' }, T0).record).toMatchObject({ state: 'SUPERSEDED', supersededBy: 'r2' });
    expect(() => transition(fresh(), { type: 'SUPERSEDE', by: 'r2' }, T0)).toThrow(/ILLEGAL_TRANSITION/);
  });

  it('refuses every event a state does not accept, and final states accept only operator events', () => {
    const events: LifecycleEvent[] = [
      { type: 'STABLE', size: 1, mtimeMs: 1 },
      prepared,
      { type: 'TRANSFER_STARTED' },
      { type: 'TRANSFERRED', location: 'x' },
      { type: 'ARCHIVED' },
      { type: 'DUPLICATE', of: 'r0' },
      { type: 'INVALID', error },
      { type: 'FAILED', error },
      { type: 'RETRY' },
      { type: 'REQUEUE' },
      { type: 'SUPERSEDE', by: 'r2' },
      { type: 'PRUNE' },
      { type: 'RELEASE', releaseDate: '2027-05-20' },
      { type: 'EXTEND_PROPRIETARY', until: '2028-01-01' },
    ];
    for (const state of STATES) {
      for (const event of events) {
        const record = { ...fresh(), state, resumeFrom: 'STABLE' as StateName };
        const accepted = ACCEPTS[state].includes(event.type);
        try {
          transition(record, event, T0);
          expect(accepted, `${state} + ${event.type}`).toBe(true);
        } catch (e) {
          expect(isIngestError(e, 'ILLEGAL_TRANSITION'), `${state} + ${event.type}`).toBe(true);
          expect(accepted).toBe(false);
        }
      }
      if (STATE_INFO[state].final) {
        // Operator events only: requeue, supersede (a reingest), prune (an admin removes an old version's bytes),
        // and the proprietary period's end or extension (which keep the state).
        expect(ACCEPTS[state].every((t) => ['REQUEUE', 'SUPERSEDE', 'PRUNE', 'RELEASE', 'EXTEND_PROPRIETARY'].includes(t))).toBe(true);
      }
    }
  });

  it('PRUNE keeps a superseded record SUPERSEDED, drops its location and records who pruned it', () => {
    const record = { ...fresh(), state: 'SUPERSEDED' as StateName, location: '/archive/x.fits', supersededBy: 'r2' };
    const { record: next, entry, effects } = transition(record, { type: 'PRUNE', actor: 'admin:ana', message: 'removed /archive/x.fits' }, T0);
    expect(next).toMatchObject({ state: 'SUPERSEDED', supersededBy: 'r2', metadata: { pruned: true } });
    expect(next.location).toBeUndefined();
    expect(entry).toMatchObject({ from: 'SUPERSEDED', to: 'SUPERSEDED', cause: 'PRUNE', actor: 'admin:ana', message: 'removed /archive/x.fits' });
    expect(effects).toEqual([]);
  });

  it('RELEASE and EXTEND_PROPRIETARY keep an archived file ARCHIVED and leave their mark in metadata and history', () => {
    const record = { ...fresh(), state: 'ARCHIVED' as StateName };
    const extended = transition(record, { type: 'EXTEND_PROPRIETARY', until: '2028-01-01', actor: 'operator:ana', message: 'PI asked' }, T0);
    expect(extended.record).toMatchObject({ state: 'ARCHIVED', metadata: { releaseDate: '2028-01-01' } });
    expect(extended.entry).toMatchObject({ from: 'ARCHIVED', to: 'ARCHIVED', cause: 'EXTEND_PROPRIETARY', actor: 'operator:ana', message: 'proprietary until 2028-01-01: PI asked' });
    const released = transition(extended.record, { type: 'RELEASE', releaseDate: '2028-01-01', actor: 'embargo' }, T0 + 1);
    expect(released.record.metadata).toEqual({ releaseDate: '2028-01-01', released: '2028-01-01' });
    expect(released.entry).toMatchObject({ cause: 'RELEASE', to: 'ARCHIVED' });
    expect(released.effects).toEqual([]);
    // Extending again after the release makes the file proprietary again.
    expect(transition(released.record, { type: 'EXTEND_PROPRIETARY', until: '2029-01-01' }, T0 + 2).record.metadata).toEqual({ releaseDate: '2029-01-01' });
  });
});
