/**
 * Quick-look on arrival and the close of a night, with the real engine, SQLite, and the example Python pipeline:
 * a science frame archived before its calibrations waits (visibly) and runs once the masters exist; every science
 * frame gets exactly one level-1 product linked to it; closing the night rebuilds the masters with a bias taken
 * after sunrise and archives one level-2 product per frame as one released batch; closing again changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/processing/request.js';
import { inputOf } from '../../src/processing/inputs.js';
import { createQuickLook } from '../../src/processing/quicklook.js';
import { liveNight, NIGHT, until, type LiveNight } from './_night.js';

let night: LiveNight | undefined;
afterEach(async () => {
  await night?.close();
  night = undefined;
});

describe('quick-look on arrival', { timeout: 240_000 }, () => {
  it('waits for the masters, runs once per science frame, and closing the night archives one level-2 batch', async () => {
    night = await liveNight('night', { lateAfterMs: 600_000 });
    const { quickLook, ingestor } = night;

    // A science frame before any calibration: it waits, and says for what.
    const early = await night.frame('object', 30);
    const waiting = await until(async () => (await quickLook.frames({ states: ['WAITING'] }))[0], 30_000, 'the early frame to wait');
    expect(waiting).toMatchObject({ archiveId: early, rule: 'quicklook', night: NIGHT, waitingFor: ['bias', 'flatlamp'] });
    expect((await quickLook.status()).waiting.map((w) => w.archiveId)).toEqual([early]);
    // Biases alone are not enough: it still waits, now only for flats.
    for (const m of [0, 1, 2]) await night.frame('bias', m);
    await quickLook.tick();
    await until(async () => (await quickLook.frames({ states: ['WAITING'] }))[0]?.waitingFor.join() === 'flatlamp', 30_000, 'only flats to be missing');
    expect(night.runs()).toBe(0);
    for (const m of [5, 6]) await night.frame('flatlamp', m);
    const later = [await night.frame('object', 60), await night.frame('object', 90)];
    const science = [early, ...later];

    const done = await until(async () => {
      const frames = await quickLook.frames({});
      return frames.length === 3 && frames.every((f) => f.state === 'DONE') && frames;
    }, 180_000, 'three quick-looks');
    for (const frame of done) {
      const products = await ingestor.catalog.findArchived({ parent: frame.archiveId, level: 1 });
      expect(products.map((p) => p.archiveId)).toEqual([frame.product]);
      expect(frame.productArchivedAt!).toBeGreaterThanOrEqual(frame.archivedAt);
      expect(frame.archivedAt).toBeGreaterThanOrEqual(frame.completeAt);
    }
    expect(done.map((f) => f.archiveId).sort()).toEqual([...science].sort());
    const requests = await night.service.list({ requester: 'quicklook' });
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.mode === 'quicklook' && r.priority === 100 && r.state === 'DONE')).toBe(true);
    const status = await quickLook.status();
    expect(status.states).toEqual({ WAITING: 0, QUEUED: 0, DONE: 3, FAILED: 0 });
    expect(status.quicklook?.count).toBe(3);
    expect(status.quicklook!.p99).toBeGreaterThanOrEqual(status.quicklook!.p50);
    expect(status.late).toBe(0);
    expect(night.alerts.filter((a) => a.trigger === 'quicklook')).toEqual([]);

    // A bias taken after sunrise, then the close: masters rebuilt with it, one level-2 product per science frame.
    const sunrise = await night.frame('bias', 600);
    const closed = await quickLook.closeNight({ instrument: 'KCWI', night: NIGHT, actor: 'operator:test', timeoutMs: 180_000 });
    const failures = (await night.service.list({ batch: closed.batch! })).map((r) => r.error);
    expect(failures).toEqual([undefined, undefined, undefined]);
    expect(closed).toMatchObject({ state: 'CLOSED', requests: 3, failed: 0 });
    const set = await night.service.context.store.getSet(closed.masters['bias']!);
    expect(set!.files.map((f) => f.archiveId)).toContain(sunrise);
    expect(set!.files).toHaveLength(6);
    for (const id of science) {
      const level2 = await ingestor.catalog.findArchived({ parent: id, level: 2 });
      expect(level2).toHaveLength(1);
      expect(closed.products).toContain(level2[0]!.archiveId);
    }
    const batch = await night.service.list({ batch: closed.batch! });
    expect(batch.every((r) => r.mode === 'full' && r.choice?.setId === set!.id)).toBe(true);
    const released = (await ingestor.catalog.events!({ kinds: ['released'] })).events.filter((e) => e.kind === 'released');
    expect(released).toHaveLength(1);
    expect(released[0]).toMatchObject({ night: NIGHT, level: 2, instrument: 'KCWI', detail: { source: 'night-close', batch: closed.batch, products: 3 } });

    // Closing again: the same record, no request, no run, no event.
    const runs = night.runs();
    const again = await quickLook.closeNight({ instrument: 'KCWI', night: NIGHT, actor: 'operator:test' });
    expect(again).toEqual(closed);
    expect(night.runs()).toBe(runs);
    expect(await night.service.list({ limit: 100 })).toHaveLength(6);
  });

  it('raises one late alert per frame whose quick-look is beyond the bound, through the engine alert event', async () => {
    night = await liveNight('late', { lateAfterMs: 1 });
    for (const m of [0, 1]) await night.frame('bias', m);
    await night.frame('flatlamp', 5);
    const ids = [await night.frame('object', 30), await night.frame('object', 40)];
    await until(async () => (await night!.quickLook.frames({ states: ['DONE'] })).length === 2, 180_000, 'two quick-looks');
    await night.quickLook.tick();
    await night.quickLook.tick();
    const late = night.alerts.filter((a) => a.code === 'QUICKLOOK_LATE');
    expect(late.map((a) => a.path).sort()).toEqual([...ids].sort());
    expect(late[0]!.message).toMatch(/beyond 0\.001 s/);
    expect((await night.quickLook.status()).late).toBe(2);
  });

  it('closes a night on its own once its configured time has come, and not before', async () => {
    night = await liveNight('auto', { lateAfterMs: 600_000 });
    await night.frame('bias', 0);
    await night.frame('flatlamp', 5);
    const science = await night.frame('object', 30);
    await until(async () => (await night!.quickLook.frames({ states: ['DONE'] })).length === 1, 180_000, 'the quick-look');
    // Not yet: 10^6 hours after the night's date.
    const later = createQuickLook({ service: night.service, tickMs: 50, catchUpHours: 0, closeAfterHours: 1_000_000 });
    await later.start();
    await later.tick();
    await later.stop();
    expect(await night.service.context.store.getNight('KCWI', NIGHT)).toMatchObject({ state: 'OPEN' });
    // Due: 0 hours after the night's date (long past).
    const due = createQuickLook({ service: night.service, tickMs: 50, catchUpHours: 0, closeAfterHours: 0 });
    await due.start();
    const closed = await until(async () => {
      const n = await night!.service.context.store.getNight('KCWI', NIGHT);
      return n?.state === 'CLOSED' && n;
    }, 180_000, 'the scheduled close');
    await due.stop();
    expect(closed).toMatchObject({ closedBy: 'schedule', requests: 1, failed: 0 });
    expect((await night.ingestor.catalog.findArchived({ parent: science, level: 2 })).map((p) => p.archiveId)).toEqual(closed.products);
  });

  it('resumes a close a crash interrupted after its batch was partly submitted: the missing frames only, none doubled', async () => {
    night = await liveNight('resume', { lateAfterMs: 600_000 });
    await night.frame('bias', 0);
    await night.frame('flatlamp', 5);
    const science = [await night.frame('object', 30), await night.frame('object', 40)];
    await until(async () => (await night!.quickLook.frames({ states: ['DONE'] })).length === 2, 180_000, 'the quick-looks');
    const store = night.service.context.store;
    // What a crash leaves: the night in BATCH with its batch id, one of the two requests stored (never run).
    const record = (await store.getNight('KCWI', NIGHT))!;
    const file = (await night.ingestor.catalog.getArchived(science[0]!))!;
    const stored = createRequest({ id: 'crashed-1', requester: 'operator:test', priority: 10, instrument: 'KCWI', kind: 'imaging', inputs: [inputOf(night.ingestor.instruments, file)], calibration: 'latest', processor: { name: 'imager_reduce', version: '1.0' }, batch: 'batch-1', mode: 'full', rule: 'night' }, Date.now());
    await store.insertRequest(stored);
    await store.putNight({ ...record, state: 'BATCH', batch: 'batch-1', closedBy: 'operator:test' });
    const closed = await night.quickLook.closeNight({ instrument: 'KCWI', night: NIGHT, actor: 'operator:test', timeoutMs: 180_000 });
    expect(closed).toMatchObject({ state: 'CLOSED', batch: 'batch-1', requests: 2, failed: 0 });
    const batch = await night.service.list({ batch: 'batch-1' });
    expect(batch.map((r) => r.inputs[0]!.archiveId).sort()).toEqual([...science].sort());
    expect(batch.find((r) => r.inputs[0]!.archiveId === science[0])!.id).toBe('crashed-1');
    for (const id of science) expect(await night.ingestor.catalog.findArchived({ parent: id, level: 2 })).toHaveLength(1);
  });
});
