/**
 * Crash recovery and file faults on the manual clock and in-memory ports: a new engine on the same catalog and
 * files resumes where a crashed one stopped; files that change or read short are never archived half-read.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { createManualClock } from '../../../src/testing/index.js';
import { item, rig, sha256, T0 } from './_deterministic.js';

describe('engine recovery on the manual clock', () => {
  it('a new engine on the same catalog and files resumes a crashed one mid-transfer, archiving each file once', async () => {
    const catalog = createMemoryCatalog();
    const crashed = rig({ catalog, concurrency: 2 });
    crashed.transport.hold(); // never released: the process dies with these transfers in flight
    await crashed.engine.start();
    const ids = [];
    for (let n = 1; n <= 3; n++) ids.push((await crashed.engine.submit(item(crashed.frame(n)))).record.id);
    await crashed.clock.advance(100);
    const before = await Promise.all(ids.map(async (id) => (await catalog.getRecord(id))!.state));
    expect(before).toEqual(['TRANSFERRING', 'TRANSFERRING', 'DETECTED']);
    // A partial staged copy of a record the catalog never heard of, as a crash mid-write leaves it.
    crashed.files.put('/staging/KB.20261120.00000.00.ffffffff-0000-4000-8000-000000000000.fits.part', new Uint8Array(100));

    // The crash: the old engine is never stopped and its clock never moves again. The restart shares its state.
    const restarted = rig({ catalog, files: crashed.files, clock: createManualClock({ now: T0 + 60_000 }), concurrency: 2 });
    await restarted.engine.start();
    expect(restarted.files.paths().filter((p) => p.endsWith('.part'))).toEqual([]);
    await restarted.settle(ids);
    const after = await Promise.all(ids.map((id) => catalog.getRecord(id)));
    expect(after.map((r) => r!.state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    for (const record of after) {
      expect(restarted.transport.versions(record!.archiveId!)).toHaveLength(1);
      const history = await catalog.history(record!.id);
      expect(history.filter((h) => h.to === 'ARCHIVED')).toHaveLength(1);
      expect(history.filter((h) => h.to === 'PREPARED')).toHaveLength(1); // resumed, not started over
    }
    expect(crashed.transport.transfers).toBe(0);
    expect(restarted.files.paths().filter((p) => p.startsWith('/staging/'))).toEqual([]);
    await restarted.engine.stop();
  });

  it('a file that changes while it is prepared is archived with its final bytes only', async () => {
    const r = rig();
    const path = r.frame(4);
    const replacement = r.files.get(r.frame(5))!;
    r.files.onRead(path, { atOffset: 4000, change: (files) => files.put(path, replacement) });
    await r.engine.start();
    const { record } = await r.engine.submit(item(path));
    await r.settle([record.id]);
    const final = (await r.catalog.getRecord(record.id))!;
    const history = await r.catalog.history(record.id);
    expect(final.state).toBe('ARCHIVED');
    expect(final.sourceSha256).toBe(sha256(replacement));
    expect(history.some((h) => h.code === 'SOURCE_CHANGED')).toBe(true);
    await r.engine.stop();
  });

  it('a short read never produces an archived copy of part of a file', async () => {
    const r = rig();
    const path = r.frame(6);
    const whole = r.files.get(path)!;
    r.files.onRead(path, { atOffset: 4000, short: true, operation: 'read' });
    await r.engine.start();
    const { record } = await r.engine.submit(item(path));
    await r.settle([record.id]);
    const final = (await r.catalog.getRecord(record.id))!;
    expect(final.state).toBe('ARCHIVED');
    expect(final.sourceSha256).toBe(sha256(whole));
    expect((await r.catalog.history(record.id)).some((h) => h.to === 'FAILED')).toBe(true);
    await r.engine.stop();
  });

  it('settled() sees records another worker finishes only when the catalog declares itself shared', async () => {
    for (const shared of [true, false]) {
      const memory = createMemoryCatalog();
      const catalog: Catalog = { ...memory, capabilities: { durable: false, shared } };
      const waiter = rig({ catalog, owner: 'waiter' });
      const worker = rig({ catalog, files: waiter.files, owner: 'worker' });
      await waiter.engine.start();
      await worker.engine.start();
      const { record } = await worker.engine.submit(item(worker.frame(7)));
      let seen = false;
      void waiter.engine.settled([record.id]).then(() => (seen = true));
      await worker.settle([record.id]);
      await waiter.clock.advance(2_000); // several claim intervals of the waiting engine
      expect(seen).toBe(shared);
      await worker.engine.stop();
      await waiter.engine.stop();
    }
  });
});
