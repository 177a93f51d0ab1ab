import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateInterval } from '../../src/core/processing/throttle.js';
import type { ProcessingService } from '../../src/processing/service.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { buildArchive, calibrationFiles, examplePipeline, T0, type TestArchive } from '../adapters/processors/_archive.js';

/** When each request first moved out of QUEUED (START, or CACHED when the result cache answered), in order. */
const firstMoves = (requests: { history: { at: number }[] }[]): number[] => requests.map((r) => r.history[1]!.at).sort((x, y) => x - y);

describe('bulk reprocessing of an instrument: throttled, yielding to live ingestion', { timeout: 240_000 }, () => {
  let t: TestArchive;
  let service: ProcessingService;

  beforeAll(async () => {
    t = await buildArchive('bulk');
    service = await t.service({ processor: examplePipeline(join(t.dir, 'runs')), areas: 2 });
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
  });
  afterAll(async () => t?.close());

  it('parses rates', () => {
    expect(rateInterval('120/h')).toBe(30_000);
    expect(rateInterval('2/s')).toBe(500);
    expect(rateInterval('1/min')).toBe(60_000);
    expect(() => rateInterval('fast')).toThrow(/not N\/s, N\/min, N\/h or N\/day/);
  });

  it('starts at most one request of the batch per interval, although areas are free; an ordinary request is not held back', async () => {
    const bulk = await service.submit({ instrument: 'KCWI', all: true, requester: 'archive', throttle: { intervalMs: 1500 }, calibration: 1 });
    expect(bulk).toHaveLength(4); // sci1..3 and the K999 frame: every raw science frame of KCWI
    expect(bulk.every((r) => r.throttled && r.priority === -10 && r.batch === bulk[0]!.batch)).toBe(true);
    // submitted while the batch waits for its next turn: it starts at once in the free area
    const [ordinary] = await service.submit({ archiveIds: [t.ids['sci1']!], requester: 'ana' });
    const done = await service.settled([...bulk.map((r) => r.id), ordinary!.id], { timeoutMs: 180_000 });
    expect(done.map((r) => [r.state, r.error?.message ?? ''])).toEqual(Array(5).fill(['DONE', '']));
    // each bulk request takes a turn, whether it then runs or the cache answers it (sci1, if the ordinary request built it first)
    const starts = firstMoves(done.slice(0, 4));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1400);
    expect(done.slice(0, 4).filter((r) => !r.cached).length).toBeGreaterThanOrEqual(3);
    expect(firstMoves([done[4]!])[0]).toBeLessThan(starts[3]!);
  });

  it('waits while live ingestion has files queued or running, then proceeds', async () => {
    const live = join(t.dir, 'live');
    mkdirSync(live);
    const paths: string[] = [];
    for (let i = 0; i < 12; i++) {
      const frame = { time: new Date(T0 + (200 + i) * 60_000), frameNumber: 100 + i, axes: [48, 40] as [number, number], program: 'K555' };
      paths.push(join(live, frameName(frame)));
      writeFileSync(paths.at(-1)!, makeFrame(frame));
    }
    // a recertified set (v2 replaces v1): the bulk batch really runs the pipeline again, the cache cannot answer
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids, ['bias1', 'bias2', 'flat1']), from: T0 - 3_600_000, replace: true, actor: 'cal' });
    // the night goes on: 12 frames arrive at once, then an operator starts bulk reprocessing
    const records = await Promise.all(paths.map(async (path) => (await t.ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id));
    expect(t.ingestor.load().queued + t.ingestor.load().running).toBeGreaterThan(0);
    const bulk = await service.submit({ instrument: 'KCWI', all: true, requester: 'archive', throttle: { intervalMs: 0 }, calibration: 'latest' });
    const archived = await t.ingestor.settled(records);
    expect(archived.every((r) => r.state === 'ARCHIVED')).toBe(true);
    const done = await service.settled(bulk.map((r) => r.id), { timeoutMs: 180_000 });
    expect(done.map((r) => [r.state, r.cached ?? false, r.choice?.setId])).toEqual(Array(4).fill(['DONE', false, 'KCWI/imaging/v2']));
    const lastArchived = Math.max(...(await Promise.all(records.map(async (id) => (await t.ingestor.catalog.history(id)).find((h) => h.to === 'ARCHIVED')!.at))));
    // the 12 live frames went first; the batch's first move (a start, or a cache answer) came after the last of them
    const firstMove = Math.min(...done.map((r) => r.history[1]!.at));
    expect(firstMove).toBeGreaterThanOrEqual(lastArchived);
    expect(done.length).toBe(4); // what the catalog held when the batch was submitted
  });
});
