/**
 * The Catalog port's optional methods: a catalog without them still ingests (the engine lets leases run out instead
 * of releasing them), and the operations that need them are a typed UNSUPPORTED_OPERATION.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { addLocationTo, importArchivedInto, releaseLease } from '../../../src/core/ports/catalog-fallbacks.js';
import { inserted } from '../../../src/testing/_catalog-fixtures.js';
import { item, rig } from '../runtime/_deterministic.js';

/** A memory catalog without the optional methods (as a minimal third-party catalog would be). */
function minimalCatalog(): Catalog {
  const { release: _r, addLocation: _a, importArchived: _i, ...rest } = createMemoryCatalog();
  const catalog: Catalog = rest;
  expect('release' in catalog || 'addLocation' in catalog || 'importArchived' in catalog).toBe(false);
  return catalog;
}

describe('Catalog port: optional methods and core fallbacks', () => {
  it('an engine on a catalog without release archives, stops, and resumes after the leases ran out', async () => {
    const catalog = minimalCatalog();
    const r = rig({ catalog, concurrency: 1 });
    const hold = r.transport.hold();
    await r.engine.start();
    const ids = [];
    for (let n = 1; n <= 3; n++) ids.push((await r.engine.submit(item(r.frame(n)))).record.id);
    await r.clock.advance(100);
    const stopping = r.engine.stop(); // would call release() on the queued claims: none, so they keep their lease
    hold();
    await stopping;
    const states = await Promise.all(ids.map(async (id) => (await catalog.getRecord(id))!.state));
    expect(states.filter((s) => s !== 'ARCHIVED').length).toBeGreaterThan(0);
    await r.engine.start();
    await r.settle(ids);
    expect(await Promise.all(ids.map(async (id) => (await catalog.getRecord(id))!.state))).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    await r.engine.stop();
  });

  it('releaseLease without release leaves the lease to run out: another owner claims the record once it ended', async () => {
    const catalog = minimalCatalog();
    await catalog.init();
    const record = await inserted(catalog, 1);
    expect((await catalog.claim({ owner: 'a', now: 1000, leaseMs: 500, limit: 5 })).map((x) => x.id)).toEqual([record.id]);
    await releaseLease(catalog, record.id, 'a');
    expect(await catalog.claim({ owner: 'b', now: 1200, leaseMs: 500, limit: 5 })).toEqual([]);
    expect((await catalog.claim({ owner: 'b', now: 1600, leaseMs: 500, limit: 5 })).map((x) => x.id)).toEqual([record.id]);
    // With release, the same call frees the record at once.
    const full = createMemoryCatalog();
    await full.init();
    const other = await inserted(full, 2);
    await full.claim({ owner: 'a', now: 1000, leaseMs: 500, limit: 5 });
    await releaseLease(full, other.id, 'a');
    expect((await full.claim({ owner: 'b', now: 1001, leaseMs: 500, limit: 5 })).map((x) => x.id)).toEqual([other.id]);
  });

  it('addLocation and importArchived are UNSUPPORTED_OPERATION naming the operation when the catalog lacks them', async () => {
    const catalog = minimalCatalog();
    await catalog.init();
    const location = { uri: '/tape/x#2', transport: 'media', verifiedAt: 1 };
    const add = await addLocationTo(catalog, 'X.1', location).catch((error: unknown) => error);
    expect(isIngestError(add, 'UNSUPPORTED_OPERATION') && add.context['operation']).toBe('addLocation');
    const record = await inserted(catalog, 3);
    const imported = await importArchivedInto(catalog, record, undefined as never, undefined as never).catch((error: unknown) => error);
    expect(isIngestError(imported, 'UNSUPPORTED_OPERATION') && imported.context['operation']).toBe('importArchived');
  });
});
