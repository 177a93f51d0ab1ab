import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteProcessingStore } from '../../src/adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../../src/adapters/processors/command.js';
import type { ProcessingStore } from '../../src/core/ports/processing-store.js';
import { transitionRequest } from '../../src/core/processing/request.js';
import type { ProcessingService } from '../../src/processing/service.js';
import { buildArchive, calibrationFiles, PIPELINE, T0, type TestArchive } from '../adapters/processors/_archive.js';

async function until(what: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The example pipeline behind a barrier: each run writes its request id to `runs`, then waits (at most 30 s) until
 * two runs have begun, so the first job of each scheduler can only end once the other scheduler runs a job too.
 */
function barrierPipeline(dir: string) {
  mkdirSync(join(dir, 'barrier'), { recursive: true });
  const script = [
    `python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["request"])' "$1" >> '${dir}/runs'`,
    `touch '${dir}/barrier/'$$`,
    `n=0; while [ "$(ls '${dir}/barrier' | wc -l)" -lt 2 ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done`,
    `exec /usr/bin/python3 '${PIPELINE}' "$1"`,
  ].join('; ');
  return createCommandProcessor({ name: 'imager_reduce', version: '1.0', timeoutMs: 90_000, command: ['/bin/sh', '-c', script, 'sh'] });
}

describe('several schedulers on one processing store', { timeout: 240_000 }, () => {
  let t: TestArchive;
  let a: ProcessingService;


  beforeAll(async () => {
    t = await buildArchive('schedulers');
    const processor = barrierPipeline(t.dir);
    // two schedulers with their own store connections and area names, as two hosts sharing the catalog's file
    a = await t.service({ processor, areas: 1, prefix: 'hostA-area-', options: { leaseMs: 600 } });
    await a.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
  });
  afterAll(async () => t?.close());

  it('each request runs exactly once; a scheduler starting does not requeue the jobs another one runs', async () => {
    const requests = await a.submit({ instrument: 'KCWI', all: true, requester: 'ana' });
    expect(requests).toHaveLength(4);
    await until(async () => (await a.list({ states: ['RUNNING'] })).length === 1);
    const first = (await a.list({ states: ['RUNNING'] }))[0]!;
    expect(first.area).toBe('hostA-area-1');
    await t.service({ processor: barrierPipeline(t.dir), areas: 1, prefix: 'hostB-area-', options: { leaseMs: 600 } });
    const done = await a.settled(requests.map((r) => r.id), { timeoutMs: 180_000 });
    for (const r of done) {
      expect(r, r.log).toMatchObject({ state: 'DONE', attempts: 1 });
      expect(r.history.map((h) => h.cause)).toEqual(['SUBMIT', 'START', 'SUCCEED']);
    }
    expect(done.find((r) => r.id === first.id)!.history[1]!.area).toBe('hostA-area-1');
    const areas = new Set(done.map((r) => r.history[1]!.area));
    expect(areas).toEqual(new Set(['hostA-area-1', 'hostB-area-1']));
    const runs = readFileSync(join(t.dir, 'runs'), 'utf8').trim().split('\n').sort();
    expect(runs).toEqual(requests.map((r) => r.id).sort());
    for (const r of done) expect(await t.ingestor.catalog.archivedVersions!(r.products[0]!)).toHaveLength(1);
    // both hold a lease in the store, each naming its own area
    expect((await a.context.store.listSchedulers()).map((l) => l.areas[0]).sort()).toEqual(['hostA-area-1', 'hostB-area-1']);
  });

  it('refuses a scheduler whose area name a live scheduler holds', async () => {
    const store = createSqliteProcessingStore({ path: join(t.archive, 'catalog.sqlite') });
    await store.init();
    const { createProcessingService } = await import('../../src/processing/service.js');
    const { areasUnder } = await import('../../src/processing/areas.js');
    const clash = createProcessingService({ store, ingestor: t.ingestor, processor: barrierPipeline(t.dir), areas: areasUnder(join(t.dir, 'clash'), 1, 'hostB-area-') });
    await expect(clash.start()).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/hostB-area-1 is held by the scheduler/) });
    await store.close();
  });

  it('requeues what a dead scheduler left RUNNING (killed on this host, or silent past its lease), not what a live one runs', async () => {
    const store: ProcessingStore = a.context.store;
    const dead = spawnSync('true').pid!; // a process that has exited: its pid is free
    const now = Date.now();
    await store.putScheduler({ id: 'killed', host: hostname(), pid: dead, areas: ['ghost-1'], startedAt: now, heartbeatAt: now });
    await store.putScheduler({ id: 'silent', host: 'elsewhere.example.org', pid: 1, areas: ['far-1'], startedAt: now - 60_000, heartbeatAt: now - 60_000 });
    await store.putScheduler({ id: 'alive', host: 'elsewhere.example.org', pid: 1, areas: ['busy-1'], startedAt: now, heartbeatAt: now + 3_600_000 });
    // three requests submitted through a scheduler that is not started, then marked RUNNING in those areas
    const { createProcessingService } = await import('../../src/processing/service.js');
    const { areasUnder } = await import('../../src/processing/areas.js');
    const submitter = createProcessingService({ store, ingestor: t.ingestor, processor: barrierPipeline(t.dir), areas: areasUnder(join(t.dir, 'unused'), 1, 'none-') });
    const choice = { setId: 'KCWI/imaging/v1', version: 1, exact: true, distanceMs: 0, reason: 'certified' };
    const ids: string[] = [];
    for (const [label, area] of [['sci1', 'ghost-1'], ['sci2', 'far-1'], ['sci3', 'busy-1']] as const) {
      const [r] = await submitter.submit({ archiveIds: [t.ids[label]!], requester: 'ana', calibration: 1 });
      await store.updateRequest(transitionRequest(r!, { type: 'START', area, choice, cacheKey: `orphan-${label}` }, Date.now()));
      ids.push(r!.id);
    }
    await until(async () => (await store.getRequest(ids[0]!))!.state === 'DONE' && (await store.getRequest(ids[1]!))!.state === 'DONE', 60_000);
    for (const id of ids.slice(0, 2)) {
      const r = (await store.getRequest(id))!;
      // requeued, then answered from the result cache (the first test built these products) or run again
      expect(r.history.map((h) => h.cause)).toEqual(['SUBMIT', 'START', 'RESTART', ...(r.cached ? ['CACHED'] : ['START', 'SUCCEED'])]);
      expect(r.history[2]!.message).toMatch(/stopped renewing its lease/);
    }
    expect((await store.getRequest(ids[2]!))!).toMatchObject({ state: 'RUNNING', area: 'busy-1' });
    const leases = (await store.listSchedulers()).map((l) => l.id);
    expect(leases).toContain('alive');
    await store.removeScheduler('alive');
    await store.removeScheduler('killed');
    await store.removeScheduler('silent');
    // the lease of "alive" is gone: its request is requeued and runs
    await until(async () => (await store.getRequest(ids[2]!))!.state === 'DONE', 60_000);
  });
});
