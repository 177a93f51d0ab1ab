/**
 * The engine's lifecycle on the manual clock and in-memory ports: drain on stop, the concurrency limit, a failed
 * start retried, and what stop closes.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { IngestError, isIngestError } from '../../../src/core/errors.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import type { Trigger, TriggerSink } from '../../../src/core/ports/trigger.js';
import { item, rig } from './_deterministic.js';

describe('engine lifecycle on the manual clock', () => {
  it('never runs more than `concurrency` records at once, and fills every slot', async () => {
    const r = rig({ concurrency: 3 });
    const release = r.transport.hold();
    let most = 0;
    r.engine.on('state', () => void (most = Math.max(most, r.engine.load().running)));
    await r.engine.start();
    const records = [];
    for (let n = 1; n <= 12; n++) records.push((await r.engine.submit(item(r.frame(n)))).record.id);
    await r.clock.advance(100);
    expect(r.transport.inFlight).toBe(3);
    expect(r.engine.load()).toEqual({ running: 3, queued: 9, waiting: 0 });
    release();
    await r.settle(records);
    expect(r.transport.maxInFlight).toBe(3);
    expect(most).toBe(3);
    expect(r.transport.transfers).toBe(12);
    await r.engine.stop();
  });

  it('stop drains: in-flight steps finish and are recorded, queued records stay for the next start', async () => {
    const r = rig({ concurrency: 2 });
    const release = r.transport.hold();
    await r.engine.start();
    const ids = [];
    for (let n = 1; n <= 4; n++) ids.push((await r.engine.submit(item(r.frame(n)))).record.id);
    await r.clock.advance(100);
    expect(r.transport.inFlight).toBe(2);

    let stopped = false;
    const stopping = r.engine.stop().then(() => void (stopped = true));
    await r.clock.advance(100);
    expect(stopped).toBe(false); // waits for the two transfers in flight
    release();
    await stopping;
    const states = await Promise.all(ids.map(async (id) => (await r.catalog.getRecord(id))!.state));
    expect(states.sort()).toEqual(['DETECTED', 'DETECTED', 'TRANSFERRED', 'TRANSFERRED']);
    expect(r.engine.load()).toEqual({ running: 0, queued: 0, waiting: 0 });
    expect(r.transport.closes).toBe(1); // stop closes the transports
    // Nothing more happens while stopped, however long.
    await r.clock.advance(60_000);
    expect((await Promise.all(ids.map(async (id) => (await r.catalog.getRecord(id))!.state))).sort()).toEqual(states);
    expect(r.transport.transfers).toBe(2);

    // The claims were released: the next start resumes all four, each from where it stopped.
    await r.engine.start();
    await r.settle(ids);
    expect(await Promise.all(ids.map(async (id) => (await r.catalog.getRecord(id))!.state))).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    for (const id of ids) {
      const history = await r.catalog.history(id);
      expect(history.filter((h) => h.to === 'TRANSFERRED')).toHaveLength(1);
    }
    await r.engine.stop();
    expect(r.transport.closes).toBe(2);
  });

  it('stop({ abort: true }) aborts the steps in flight, records no failure, and they resume at the next start', async () => {
    const r = rig({ concurrency: 2 });
    const release = r.transport.hold(); // only the abort ends these transfers
    await r.engine.start();
    const { record } = await r.engine.submit(item(r.frame(1)));
    await r.clock.advance(100);
    expect(r.transport.inFlight).toBe(1);
    await r.engine.stop({ abort: true });
    expect(r.transport.inFlight).toBe(0);
    expect((await r.catalog.getRecord(record.id))!).toMatchObject({ state: 'TRANSFERRING', attempts: 0 });
    release();
    await r.engine.start();
    await r.settle([record.id]);
    expect((await r.catalog.getRecord(record.id))!.state).toBe('ARCHIVED');
    await r.engine.stop();
  });

  it('a failed start is undone (started triggers stopped) and can be retried', async () => {
    const memory = createMemoryCatalog();
    let initFailures = 1;
    const flaky: Catalog = {
      ...memory,
      init: async () => {
        if (initFailures-- > 0) throw new IngestError('CATALOG_BUSY', 'the catalog is locked by a migration');
        await memory.init();
      },
    };
    const log: string[] = [];
    let breakTrigger = true;
    const trigger = (name: string): Trigger => ({
      name,
      capabilities: { continuous: true, announcesComplete: true },
      start: async (_sink: TriggerSink) => {
        if (name === 'b' && breakTrigger) {
          breakTrigger = false;
          throw new IngestError('WATCH_ERROR', 'cannot watch');
        }
        log.push(`start ${name}`);
      },
      stop: async () => void log.push(`stop ${name}`),
    });
    const r = rig({ catalog: flaky, triggers: [trigger('a'), trigger('b')] });
    await expect(r.engine.start()).rejects.toMatchObject({ code: 'CATALOG_BUSY' });
    await expect(r.engine.submit(item(r.frame(1)))).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(r.engine.start()).rejects.toMatchObject({ code: 'WATCH_ERROR' });
    expect(log).toEqual(['start a', 'stop a']); // a was started, then undone
    await r.engine.start();
    expect(log).toEqual(['start a', 'stop a', 'start a', 'start b']);
    const again = await r.engine.start().catch((e: unknown) => e);
    expect(isIngestError(again, 'ALREADY_STARTED')).toBe(true);
    const { record } = await r.engine.submit(item(r.frame(1)));
    await r.settle([record.id]);
    expect(r.transport.closes).toBe(0); // the failed starts left the transports open for the retry
    await r.engine.stop();
    await r.engine.stop();
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop a', 'stop a', 'stop b']);
    expect(r.transport.closes).toBe(1); // stopping twice closes once
  });

  it('closes the catalog on stop only when it owns it', async () => {
    const closes = (catalog: Catalog) => {
      let n = 0;
      return { catalog: { ...catalog, close: async () => void (n++, await catalog.close()) }, count: () => n };
    };
    const owned = closes(createMemoryCatalog());
    const a = rig({ catalog: owned.catalog, ownsCatalog: true });
    await a.engine.start();
    await a.engine.stop();
    expect(owned.count()).toBe(1);
    await a.engine.start(); // opened again
    await a.engine.stop();
    expect(owned.count()).toBe(2);

    const lent = closes(createMemoryCatalog());
    const b = rig({ catalog: lent.catalog });
    await b.engine.start();
    await b.engine.stop();
    expect(lent.count()).toBe(0);
    expect(await lent.catalog.counts()).toMatchObject({ ARCHIVED: 0 }); // still readable by its owner
  });
});
