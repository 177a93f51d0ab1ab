import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPath } from '../../../src/processing/inputs.js';
import type { ProcessingService } from '../../../src/processing/service.js';
import { fitsverify, PYTHON, requireJudge } from '../../helpers/oracles.js';
import { buildArchive, calibrationFiles, examplePipeline, T0, type TestArchive } from './_archive.js';

/**
 * The same reduction, done directly with astropy/numpy: the largest difference from the product relative to the value
 * (at least 1: float32 keeps ~7 significant digits, and the simulated frames have star peaks in the tens of thousands),
 * and the product's mean.
 */
const ORACLE = `
import sys, numpy as np
from astropy.io import fits
raw, product, biases, flats = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4].split(',')
d = lambda p: fits.getdata(p).astype(np.float64)
bias = np.median([d(p) for p in biases], axis=0)
flat = np.median([d(p) - bias for p in flats], axis=0); flat /= np.median(flat)
flat = np.where(flat > 0.05, flat, 1.0)  # overscan and dead pixels are not flat-fielded
expected = (d(raw) - bias) / flat
got = fits.getdata(product)
print(float(np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected)))), float(got.mean()), got.dtype.name)
`;

describe('the example pipeline (Python, astropy) through the command processor', { timeout: 120_000 }, () => {
  let t: TestArchive;
  let service: ProcessingService;
  const counter = (): number => (existsSync(t.dir + '/runs') ? readFileSync(t.dir + '/runs', 'utf8').trim().split('\n').length : 0);

  beforeAll(async () => {
    requireJudge('astropy');
    requireJudge('fitsverify');
    t = await buildArchive('pipeline');
    service = await t.service({ processor: examplePipeline(join(t.dir, 'runs')), areas: 2 });
  });
  afterAll(async () => t?.close());

  const path = async (archiveId: string): Promise<string> => localPath((await t.ingestor.catalog.getArchived(archiveId))!);
  const oracle = async (raw: string, product: string, labels: string[]): Promise<[number, number, string]> => {
    const paths = await Promise.all(labels.map((l) => path(t.ids[l]!)));
    const out = execFileSync(PYTHON, ['-c', ORACLE, await path(raw), await path(product), paths.filter((_, i) => labels[i]!.startsWith('bias')).join(','), paths.filter((_, i) => labels[i]!.startsWith('flat')).join(',')], { encoding: 'utf8' });
    const [diff, mean, dtype] = out.trim().split(' ');
    return [Number(diff), Number(mean), dtype!];
  };

  it('reduces program K123 with the certified set: pixels agree with astropy, fitsverify passes, parents and provenance are archived', async () => {
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'calibration-scientist' });
    const requests = await service.submit({ program: 'K123', requester: 'ana' });
    expect(requests.map((r) => r.inputs[0]!.archiveId).sort()).toEqual([t.ids['sci1'], t.ids['sci2'], t.ids['sci3']].sort());
    const done = await service.settled(requests.map((r) => r.id), { timeoutMs: 90_000 });
    for (const r of done) expect(r, r.log + JSON.stringify(r.error)).toMatchObject({ state: 'DONE', choice: { setId: 'KCWI/imaging/v1', exact: true } });
    expect(counter()).toBe(3);
    for (const r of done) {
      const [productId] = r.products;
      const raw = r.inputs[0]!.archiveId;
      const product = (await t.ingestor.catalog.getArchived(productId!))!;
      expect(product).toMatchObject({ level: 2, parents: [raw], instrument: 'KCWI', program: 'K123' });
      expect(productId).toBe(`${raw}_reduced`);
      const card = (k: string): unknown => product.header.find((c) => c.keyword === k)?.value;
      expect([card('CALSET'), card('CALVERS'), card('PROCNAME'), card('PROCVERS'), card('PARENT1'), card('INDIG1')]).toEqual(['KCWI/imaging/v1', 1, 'imager_reduce', '1.0', raw, (await t.ingestor.catalog.getArchived(raw))!.sha256]);
      // The catalog keeps the provenance too: the raw frame as science, each calibration file with its role.
      expect(product.provenance).toEqual({
        parents: [{ archiveId: raw, role: 'science' }, ...calibrationFiles(t.ids).map((f) => ({ archiveId: f.archiveId, role: f.role }))],
        pipeline: { name: 'imager_reduce', version: '1.0' },
        parameters: { calibrationSet: 'KCWI/imaging/v1', calibrationVersion: 1, request: r.id },
      });
      expect([card('PIPENAME'), card('NPARENT'), card('PROLE1'), card('PROLE2')]).toEqual(['imager_reduce', 6, 'science', 'bias']);
      const [diff, mean, dtype] = await oracle(raw, productId!, ['bias1', 'bias2', 'bias3', 'flat1', 'flat2']);
      expect(dtype).toBe('float32');
      expect(diff).toBeLessThan(1e-6); // float32 rounding
      expect(mean).toBeGreaterThan(100); // a real reduced frame, not zeros
      const verdict = fitsverify(await path(productId!));
      expect(verdict.errors, verdict.output).toBe(0);
      expect(verdict.checksumProblems).toEqual([]);
    }
    expect(done[0]!.log).toMatch(/master bias of 3, master flat of 2/);
  });

  it('answers a second identical request from the result cache: the pipeline does not run', async () => {
    const before = counter();
    const again = await service.submit({ archiveIds: [t.ids['sci1']!], requester: 'bob' });
    const [r] = await service.settled(again.map((x) => x.id));
    expect(r).toMatchObject({ state: 'DONE', cached: true, products: [`${t.ids['sci1']}_reduced`] });
    expect(counter()).toBe(before);
    expect(r!.history.map((h) => h.cause)).toEqual(['SUBMIT', 'CACHED']);
  });

  it('recertification requeues exactly the products built with what it replaced; new products supersede the old with history', async () => {
    const before = counter();
    const old3 = (await t.ingestor.catalog.getArchived(`${t.ids['sci3']}_reduced`))!;
    // v2 (only flat2) replaces v1 from 80 minutes on: only sci3 (at 90 min) was built with the replaced part.
    const { replaced, affected, requests } = await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids, ['bias1', 'bias2', 'bias3', 'flat2']), from: T0 + 80 * 60_000, replace: true, reprocess: true, actor: 'calibration-scientist' });
    expect(replaced).toEqual([expect.objectContaining({ setId: 'KCWI/imaging/v1', from: T0 + 80 * 60_000, to: null })]);
    expect(affected.map((p) => p.archiveId)).toEqual([`${t.ids['sci3']}_reduced`]);
    expect(requests.map((r) => r.inputs[0]!.archiveId)).toEqual([t.ids['sci3']]);
    const [r] = await service.settled(requests.map((x) => x.id), { timeoutMs: 60_000 });
    expect(r, r!.log).toMatchObject({ state: 'DONE', choice: { setId: 'KCWI/imaging/v2' }, reason: expect.stringMatching(/replaces KCWI\/imaging\/v1/) });
    expect(counter()).toBe(before + 1);
    const versions = await t.ingestor.catalog.archivedVersions!(`${t.ids['sci3']}_reduced`);
    expect(versions.map((v) => v.header.find((c) => c.keyword === 'CALSET')?.value)).toEqual(['KCWI/imaging/v1', 'KCWI/imaging/v2']);
    expect((await t.ingestor.catalog.getRecord(old3.recordId))!.state).toBe('SUPERSEDED');
    expect(versions[1]!.sha256).not.toBe(old3.sha256);
    const [diff] = await oracle(t.ids['sci3']!, `${t.ids['sci3']}_reduced`, ['bias1', 'bias2', 'bias3', 'flat2']);
    expect(diff).toBeLessThan(1e-6);
    const history = await service.context.store.productHistory(`${t.ids['sci3']}_reduced`);
    expect(history.map((h) => [h.calibrationSetId, h.supersededBy ?? null])).toEqual([['KCWI/imaging/v1', r!.id], ['KCWI/imaging/v2', null]]);
    // sci1 and sci2 keep their v1 products, untouched
    expect((await t.ingestor.catalog.archivedVersions!(`${t.ids['sci1']}_reduced`)).length).toBe(1);
  });
});
