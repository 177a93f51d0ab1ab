import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandProcessor } from '../../../src/adapters/processors/command.js';
import type { ProcessingService } from '../../../src/processing/service.js';
import { buildArchive, calibrationFiles, PIPELINE, T0, type TestArchive } from './_archive.js';

const BEHAVE = new URL('./_behave.py', import.meta.url).pathname;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a pipeline that fails, hangs or is cancelled', { timeout: 120_000 }, () => {
  let t: TestArchive;
  let service: ProcessingService;
  let behaviour: string;
  const pids = (id: string): number[] => readFileSync(`${behaviour}.${id}.pids`, 'utf8').trim().split(' ').map(Number);

  beforeAll(async () => {
    t = await buildArchive('failures');
    behaviour = join(t.dir, 'behaviour.json');
    writeFileSync(behaviour, JSON.stringify({ [t.ids['sci1']!]: 'fail', [t.ids['sci2']!]: 'hang', [t.ids['other']!]: 'hang' }));
    const processor = createCommandProcessor({ name: 'behave', version: '1', command: ['/usr/bin/python3', BEHAVE], timeoutMs: 4000, killGraceMs: 200, env: { BEHAVIOUR: behaviour, PIPELINE } });
    service = await t.service({ processor, areas: 1 });
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
  });
  afterAll(async () => t?.close());

  it('FAILED with the log for an exit code and a timeout (the whole process group killed); the area is cleaned and reused; the next request goes on', async () => {
    const [fail] = await service.submit({ archiveIds: [t.ids['sci1']!], requester: 'ana', priority: 3 });
    const [hang] = await service.submit({ archiveIds: [t.ids['sci2']!], requester: 'ana', priority: 2 });
    const [ok] = await service.submit({ archiveIds: [t.ids['sci3']!], requester: 'ana', priority: 1 });
    const [failed, hung, done] = await service.settled([fail!.id, hang!.id, ok!.id], { timeoutMs: 60_000 });
    expect(failed).toMatchObject({ state: 'FAILED', error: { code: 'PROCESSOR_FAILED', message: expect.stringMatching(/exited with code 3: boom: the frame is bad/) } });
    expect(failed!.log).toMatch(/behave: .*: fail[\s\S]*boom/);
    expect(hung).toMatchObject({ state: 'FAILED', error: { code: 'PROCESSOR_TIMEOUT' } });
    expect(hung!.log).toContain('hanging');
    const [leader, grandchild] = pids(t.ids['sci2']!);
    await until(() => !alive(leader!) && !alive(grandchild!), 5000);
    expect(done, done!.log).toMatchObject({ state: 'DONE', products: [`${t.ids['sci3']}_reduced`] });
    // one area, used in turn by all three, in priority order, and left empty
    const starts = [failed!, hung!, done!].map((r) => r.history.find((h) => h.cause === 'START')!);
    expect(starts.map((s) => s.area)).toEqual(['area-1', 'area-1', 'area-1']);
    expect(starts[0]!.at).toBeLessThanOrEqual(starts[1]!.at);
    expect(starts[1]!.at).toBeLessThanOrEqual(starts[2]!.at);
    const area = join(t.dir, 'areas', 'area-1');
    expect(readdirSync(area)).toEqual(['out']);
    expect(readdirSync(join(area, 'out'))).toEqual([]);
  });

  it('CANCELLED: a running job is killed with its group and keeps its log; a queued one never runs', async () => {
    const [running] = await service.submit({ archiveIds: [t.ids['other']!], requester: 'ana' });
    const [waiting] = await service.submit({ archiveIds: [t.ids['sci1']!], requester: 'bob' });
    await until(() => existsSync(`${behaviour}.${t.ids['other']}.pids`));
    expect(await service.get(waiting!.id)).toMatchObject({ state: 'QUEUED', position: 1 });
    const cancelledQueued = await service.cancel(waiting!.id, 'operator:bob');
    expect(cancelledQueued).toMatchObject({ state: 'CANCELLED', attempts: 0 });
    const cancelled = await service.cancel(running!.id, 'operator:ana');
    expect(cancelled).toMatchObject({ state: 'CANCELLED' });
    expect(cancelled.log).toContain('hanging');
    expect(cancelled.history.at(-1)).toMatchObject({ cause: 'CANCEL', actor: 'operator:ana', area: 'area-1' });
    const [leader, grandchild] = pids(t.ids['other']!);
    await until(() => !alive(leader!) && !alive(grandchild!), 5000);
    await expect(service.cancel(running!.id, 'operator:ana')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });
});
