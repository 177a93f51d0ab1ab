/** Retries on the manual clock: the waits follow the policy exactly, and a file is ABANDONED after maxAttempts. */
import { describe, expect, it } from 'vitest';
import { IngestError } from '../../../src/core/errors.js';
import { backoffDelay } from '../../../src/core/lifecycle/backoff.js';
import { item, rig, TICK } from './_deterministic.js';

const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };
const transient = () => new IngestError('IO_ERROR', 'the archive disk is busy');

describe('engine retries on the manual clock', () => {
  it('waits backoffDelay(attempt) between attempts (random 0.5: 750 ms, then 1500 ms), then archives', async () => {
    const r = rig();
    r.transport.failNext(transient(), 2);
    await r.engine.start();
    const { record } = await r.engine.submit(item(r.frame(1)));
    const started = Date.now();
    const took = await r.settle([record.id]);
    const wallMs = Date.now() - started;

    const history = await r.catalog.history(record.id);
    expect(history.map((h) => `${h.from ?? ''}>${h.to}`)).toEqual([
      '>DETECTED',
      'DETECTED>STABLE',
      'STABLE>PREPARED',
      'PREPARED>TRANSFERRING',
      'TRANSFERRING>FAILED',
      'FAILED>PREPARED',
      'PREPARED>TRANSFERRING',
      'TRANSFERRING>FAILED',
      'FAILED>PREPARED',
      'PREPARED>TRANSFERRING',
      'TRANSFERRING>TRANSFERRED',
      'TRANSFERRED>ARCHIVED',
    ]);
    const failedAt = history.filter((h) => h.to === 'FAILED').map((h) => h.at);
    const retriedAt = history.filter((h) => h.from === 'FAILED').map((h) => h.at);
    const expected = [1, 2].map((attempt) => backoffDelay(attempt, policy, () => 0.5));
    expect(expected).toEqual([750, 1500]);
    for (const i of [0, 1]) {
      // Due at failedAt + delay; the engine looks at due records once per tick.
      expect(retriedAt[i]! - failedAt[i]!).toBeGreaterThanOrEqual(expected[i]!);
      expect(retriedAt[i]! - failedAt[i]!).toBeLessThanOrEqual(expected[i]! + TICK);
    }
    expect(took).toBeGreaterThanOrEqual(2250);
    expect(wallMs).toBeLessThan(took); // no real sleeping: 2.25 s of engine time in less wall time
    expect(r.transport.versions((await r.catalog.getRecord(record.id))!.archiveId!)).toHaveLength(1);
    await r.engine.stop();
  });

  it('gives up after maxAttempts: ABANDONED, attempts counted, the abandoned event once, copies taken back', async () => {
    const r = rig();
    r.transport.failNext(transient(), policy.maxAttempts);
    const abandoned: string[] = [];
    const failed: number[] = [];
    r.engine.on('abandoned', (rec) => abandoned.push(rec.id)).on('failed', (rec) => failed.push(rec.nextAttemptAt! - r.clock.now()));
    await r.engine.start();
    const { record } = await r.engine.submit(item(r.frame(2)));
    await r.settle([record.id]);
    const final = (await r.catalog.getRecord(record.id))!;
    expect(final).toMatchObject({ state: 'ABANDONED', attempts: policy.maxAttempts, error: { code: 'IO_ERROR', step: 'transfer' } });
    expect(final.nextAttemptAt).toBeUndefined();
    expect(abandoned).toEqual([record.id]);
    // Each failed event comes with the next attempt exactly one policy delay ahead.
    expect(failed).toEqual([1, 2, 3].map((a) => backoffDelay(a, policy, () => 0.5)));
    const history = await r.catalog.history(record.id);
    expect(history.filter((h) => h.to === 'FAILED')).toHaveLength(policy.maxAttempts - 1);
    expect(history.at(-1)).toMatchObject({ from: 'TRANSFERRING', to: 'ABANDONED', code: 'IO_ERROR' });
    expect(r.transport.discarded.map((d) => d.recordId)).toEqual([record.id]);
    expect(r.files.paths().filter((p) => p.startsWith('/staging/'))).toEqual([]); // the staged copy is removed
    await r.engine.stop();
  });

  it('an operator requeue after ABANDONED starts over: the requeued event, then archived', async () => {
    const r = rig();
    r.transport.failNext(transient(), policy.maxAttempts);
    const events: string[] = [];
    for (const name of ['requeued', 'archived', 'abandoned'] as const) r.engine.on(name, () => void events.push(name));
    await r.engine.start();
    const { record } = await r.engine.submit(item(r.frame(3)));
    await r.settle([record.id]);
    const requeued = await r.engine.requeue(record.id, 'operator:ana');
    expect(requeued).toMatchObject({ state: 'DETECTED', attempts: 0 });
    await r.settle([record.id]);
    expect((await r.catalog.getRecord(record.id))!.state).toBe('ARCHIVED');
    expect(events).toEqual(['abandoned', 'requeued', 'archived']);
    await r.engine.stop();
  });
});
