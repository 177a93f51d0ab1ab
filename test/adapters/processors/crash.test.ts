import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteProcessingStore } from '../../../src/adapters/processing-stores/sqlite.js';
import { createFunctionProcessor } from '../../../src/adapters/processors/function.js';
import { ingestorFromOptions } from '../../../src/cli/_run-ingestor.js';
import { createProcessingService } from '../../../src/processing/service.js';
import { areasUnder } from '../../../src/processing/areas.js';
import { buildArchive, calibrationFiles, T0 } from './_archive.js';

const CHILD = new URL('./_scheduler-child.ts', import.meta.url).pathname;

/** True once `pid` is dead: gone, or a zombie waiting for its (re)parent to reap it. */
async function dead(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
      if (state === 'Z') return true;
    } catch {
      return true;
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function scheduler(args: object): { proc: ReturnType<typeof spawn>; started: Promise<void>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const started = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('started')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`scheduler exited (${code}) before starting: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, started, exited };
}

describe('SIGKILL of the scheduler mid-job', { timeout: 180_000 }, () => {
  it('after a restart the job reruns and its products are archived once', async () => {
    const t = await buildArchive('crash');
    const store = createSqliteProcessingStore({ path: join(t.archive, 'catalog.sqlite') });
    await store.init();
    // Certify and submit from a service that is never started (as the CLI does); a separate process schedules.
    const submitter = createProcessingService({ store, ingestor: t.ingestor, processor: createFunctionProcessor({ name: 'imager_reduce', version: '1.0', run: async () => ({ products: [] }) }), areas: areasUnder(join(t.dir, 'unused'), 1) });
    await submitter.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
    const [request] = await submitter.submit({ archiveIds: [t.ids['sci1']!], requester: 'ana' });
    await store.close();
    await t.close();

    const counter = join(t.dir, 'runs');
    const areas = join(t.dir, 'areas');
    const first = scheduler({ archive: t.archive, areas, counter, delay: 30 });
    await first.started;
    const deadline = Date.now() + 30_000;
    // The pipeline bumps the counter as it starts; the scheduler records its process group a moment later.
    const group = join(areas, 'area-1', '.process-group');
    while (!(existsSync(counter) && existsSync(group) && readFileSync(group, 'utf8').trim() !== '') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const orphan = Number(readFileSync(group, 'utf8'));
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(await dead(orphan, 0)).toBe(false); // the pipeline outlived its scheduler

    const second = scheduler({ archive: t.archive, areas, counter, delay: 0 });
    expect(await second.exited).toBe(0);
    expect(await dead(orphan)).toBe(true); // the restart killed it before cleaning the area
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);

    const again = createSqliteProcessingStore({ path: join(t.archive, 'catalog.sqlite') });
    await again.init();
    const done = (await again.getRequest(request!.id))!;
    expect(done, done.log).toMatchObject({ state: 'DONE', attempts: 2, products: [`${t.ids['sci1']}_reduced`] });
    expect(done.history.map((h) => h.cause)).toEqual(['SUBMIT', 'START', 'RESTART', 'START', 'SUCCEED']);
    expect(await again.productHistory(`${t.ids['sci1']}_reduced`)).toHaveLength(1);
    await again.close();
    const { ingestor } = await ingestorFromOptions({ archive: t.archive });
    await ingestor.catalog.init();
    expect(await ingestor.catalog.findArchived({ parent: t.ids['sci1']! })).toHaveLength(1);
    expect(await ingestor.catalog.archivedVersions!(`${t.ids['sci1']}_reduced`)).toHaveLength(1);
    await ingestor.catalog.close();
    expect(readdirSync(join(areas, 'area-1'))).toEqual(['out']);
  });
});
