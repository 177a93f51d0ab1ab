import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingService } from '../../src/processing/service.js';
import { buildArchive, calibrationFiles, examplePipeline, T0, type TestArchive } from '../adapters/processors/_archive.js';
import { cli } from '../helpers/cli.js';

describe('recertification requeues automatically when the instrument is configured so', { timeout: 180_000 }, () => {
  let t: TestArchive;
  let service: ProcessingService;
  const counter = (): number => (existsSync(join(t.dir, 'runs')) ? readFileSync(join(t.dir, 'runs'), 'utf8').trim().split('\n').length : 0);

  beforeAll(async () => {
    t = await buildArchive('auto');
    service = await t.service({ processor: examplePipeline(join(t.dir, 'runs')), areas: 2 });
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
    const built = await service.submit({ program: 'K123', requester: 'ana' });
    expect((await service.settled(built.map((r) => r.id))).map((r) => r.state)).toEqual(['DONE', 'DONE', 'DONE']);
  });
  afterAll(async () => t?.close());

  it('off by default: a recertification only reports what it replaced', async () => {
    // v2 replaces v1 from 85 minutes on: only sci3 (at 90 min) was built with the replaced part
    const out = await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids, ['bias1', 'bias2', 'flat1']), from: T0 + 85 * 60_000, replace: true, actor: 'cal' });
    expect(out.affected.map((p) => p.archiveId)).toEqual([`${t.ids['sci3']}_reduced`]);
    expect(out.requests).toEqual([]);
  });

  it('set on from another process (the CLI, stored with the requests), the next recertification queues exactly the affected products', async () => {
    const on = await cli('calib', 'auto-reprocess', '--archive', t.archive, '--instrument', 'KCWI', '--on', '--requester', 'ana@example.edu');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain('auto-reprocess KCWI: on, for ana@example.edu');
    const shown = await cli('calib', 'auto-reprocess', '--archive', t.archive, '--instrument', 'KCWI', '--json');
    expect(JSON.parse(shown.lines[0]!)).toEqual({ instrument: 'KCWI', enabled: true, requester: 'ana@example.edu' });
    const before = counter();
    // v3 replaces v1 from 50 minutes on (sci2 at 60 min; sci3's product is still the v1 one, v2 never rebuilt it)
    const out = await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids, ['bias2', 'bias3', 'flat2']), from: T0 + 50 * 60_000, to: T0 + 85 * 60_000, replace: true, actor: 'cal' });
    expect(out.affected.map((p) => p.archiveId)).toEqual([`${t.ids['sci2']}_reduced`]);
    expect(out.requests.map((r) => [r.inputs[0]!.archiveId, r.requester])).toEqual([[t.ids['sci2'], 'ana@example.edu']]);
    expect(out.requests[0]!.reason).toMatch(/KCWI\/imaging\/v3 replaces KCWI\/imaging\/v1 \(auto-reprocess\)/);
    const [done] = await service.settled(out.requests.map((r) => r.id), { timeoutMs: 60_000 });
    expect(done, done!.log).toMatchObject({ state: 'DONE', choice: { setId: 'KCWI/imaging/v3' }, products: [`${t.ids['sci2']}_reduced`] });
    expect(counter()).toBe(before + 1);
    const versions = await t.ingestor.catalog.archivedVersions!(`${t.ids['sci2']}_reduced`);
    expect(versions.map((v) => v.header.find((c) => c.keyword === 'CALSET')?.value)).toEqual(['KCWI/imaging/v1', 'KCWI/imaging/v3']);
  });

  it('an explicit "no" (calib certify --no-reprocess) still wins over the setting', async () => {
    const out = await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids, ['bias3', 'flat1']), from: T0 + 20 * 60_000, to: T0 + 40 * 60_000, replace: true, reprocess: false, actor: 'cal' });
    expect(out.affected.map((p) => p.archiveId)).toEqual([`${t.ids['sci1']}_reduced`]);
    expect(out.requests).toEqual([]);
  });
});
