/**
 * The feed's shared window of the log answers exactly what the catalog answers — same events, same cursor — for
 * every cursor inside the window, filter and page size, and sends cursors before the window to the catalog.
 */
import { describe, expect, it } from 'vitest';
import { EventCache } from '../../../src/adapters/http/_event-cache.js';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import type { EventFilter, NewArchiveEvent } from '../../../src/core/ports/archive-events.js';

const event = (i: number): NewArchiveEvent => ({
  kind: i % 7 === 0 ? 'invalid' : 'archived',
  at: 1_000 + i,
  recordId: `r${i}`,
  archiveId: `KB.${i}`,
  instrument: i % 3 === 0 ? 'HIRES' : 'KCWI',
  level: (i % 4 === 0 ? 2 : 0) as 0 | 2,
  night: '2026-11-20',
  program: i % 2 === 0 ? 'K123' : 'ENG',
  imageType: i % 5 === 0 ? 'BIAS' : 'object',
  object: null,
  releaseDate: null,
  parents: [],
  sha256: null,
  size: null,
  originalName: `f${i}.fits`,
});

const FILTERS: EventFilter[] = [{}, { instrument: 'KCWI' }, { level: 2, program: 'K123' }, { imageType: 'bias' }, { kinds: ['invalid'] }, { kinds: [] }, { instrument: 'NIRC2' }];

describe('EventCache', () => {
  it('answers every cursor inside its window as the catalog does, and reads the catalog once per refresh', async () => {
    const catalog = createMemoryCatalog();
    await catalog.init();
    for (let i = 1; i <= 5; i++) await catalog.appendEvent!(event(i));
    const cache = new EventCache((q) => catalog.events!(q));
    await cache.refresh();
    expect(cache.page({}, 4, 10)).toBeUndefined(); // before the window: the catalog answers
    for (let i = 6; i <= 60; i++) await catalog.appendEvent!(event(i));
    const reads = cache.reads;
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(cache.reads - reads).toBeLessThanOrEqual(2); // shared, not one per caller
    for (const filter of FILTERS) {
      for (const limit of [1, 3, 100]) {
        for (let after = 5; after <= 62; after++) {
          expect(cache.page(filter, after, limit), JSON.stringify({ filter, limit, after })).toEqual(await catalog.events!({ ...filter, after, limit }));
        }
      }
    }
  });

  it('a refresh asked while one runs is followed by another, so a commit made meanwhile is not missed', async () => {
    const catalog = createMemoryCatalog();
    await catalog.init();
    await catalog.appendEvent!(event(1));
    let release: () => void = () => {};
    let gate: Promise<void> | undefined;
    const cache = new EventCache(async (q) => {
      const page = await catalog.events!(q);
      if (gate) await gate;
      return page;
    });
    await cache.refresh();
    gate = new Promise((resolve) => (release = resolve));
    const first = cache.refresh(); // reads before the next commit
    await catalog.appendEvent!(event(2));
    const second = cache.refresh();
    gate = undefined;
    release();
    await Promise.all([first, second]);
    expect(cache.page({}, 1, 10)?.events.map((e) => e.seq)).toEqual([2]);
  });
});
