/**
 * The catalog over HTTP, as a pipeline uses it: `catalog query` filters with paging, the nights list, the products
 * of a raw frame, the calibrations the instrument's rules associate with a frame; only what the token may read,
 * never the server's paths.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import type { TransferRequest } from '../../../src/core/ports/transport.js';
import { makeFrame } from '../../../src/simulator/frames.js';
import { preparedFrames, removeDir, startArchive, tempDir, TOKENS, type Archive } from './_harness.js';

let archive: Archive;
let dir: string;
let objects: TransferRequest[];
let biases: TransferRequest[];
let product: string;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
async function get(path: string, token: string = TOKENS.read): Promise<any> {
  const response = await fetch(`${archive.url}${path}`, { headers: auth(token) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  expect(text).not.toContain(archive.dir);
  return JSON.parse(text);
}

beforeAll(async () => {
  dir = tempDir('catalog');
  archive = await startArchive({ sqlite: true });
  objects = await preparedFrames(`${dir}/o`, 2, { kind: 'object', program: 'K123', object: 'M31' });
  biases = await preparedFrames(`${dir}/b`, 2, { kind: 'bias', program: 'ENG' }, 10);
  const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
  for (const f of [...objects, ...biases]) await transport.transfer(f);
  await transport.close?.();
  const bytes = makeFrame({ time: new Date(Date.UTC(2026, 10, 20, 9, 1)), frameNumber: 101, axes: [32, 32], cards: [['PIPELINE', 'KCWI_DRP', 'reduced']] });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = 'kb261120_00001_icube.fits';
  const up = await fetch(`${archive.url}/v1/uploads?name=${name}&sha256=${sha256}&instrument=KCWI&level=1`, { method: 'POST', headers: { ...auth(TOKENS.push), 'content-type': 'application/fits' }, body: bytes });
  expect(up.status).toBe(201);
  const posted = await fetch(`${archive.url}/v1/products`, {
    method: 'POST',
    headers: { ...auth(TOKENS.push), 'content-type': 'application/json' },
    body: JSON.stringify({ products: [{ name, sha256, instrument: 'KCWI', level: 1, parents: [objects[0]!.archiveId] }], wait: 20 }),
  });
  const answer = (await posted.json()) as any;
  expect(answer.products[0].state).toBe('ARCHIVED');
  product = answer.products[0].archiveId;
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

describe('catalog over HTTP', () => {
  it('GET /v1/catalog filters like catalog query: instrument alias, level, program, where on common and keyword columns', async () => {
    const raw = await get('/v1/catalog?instrument=kcwi&level=0');
    expect(raw.files.map((f: any) => f.archiveId).sort()).toEqual([...objects, ...biases].map((f) => f.archiveId).sort());
    expect(raw.next).toBeNull();
    const bias = await get(`/v1/catalog?instrument=KCWI&where=${encodeURIComponent('imageType = bias')}`);
    expect(bias.files.map((f: any) => f.archiveId)).toEqual(biases.map((f) => f.archiveId).sort());
    expect((await get('/v1/catalog?program=K123&level=0')).files).toHaveLength(2);
    expect(bias.files[0]).toMatchObject({ instrument: 'KCWI', level: 0, program: 'ENG', urls: { content: `/v1/files/${bias.files[0].archiveId}/content` } });
    expect(bias.files[0]).not.toHaveProperty('locations');
    const refused = await fetch(`${archive.url}/v1/catalog?where=${encodeURIComponent('source like %uploads%')}`, { headers: auth(TOKENS.read) });
    expect(refused.status).toBe(400);
  });

  it('pages by archive id with next, each file once', async () => {
    const seen: string[] = [];
    let after = '';
    for (let page = 0; page < 20; page++) {
      const answer = await get(`/v1/catalog?limit=2${after ? `&after=${after}` : ''}`);
      seen.push(...answer.files.map((f: any) => f.archiveId));
      if (answer.next === null) break;
      after = answer.next;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(5);
  });

  it('a token limited to another instrument reads none of it', async () => {
    expect((await get('/v1/catalog', TOKENS.hiresOnly)).files).toEqual([]);
    expect((await get('/v1/nights', TOKENS.hiresOnly)).nights).toEqual([]);
  });

  it('GET /v1/nights lists nights with counts by instrument and level', async () => {
    const { nights } = await get('/v1/nights');
    const night = nights.find((n: any) => n.night === objects[0]!.night);
    expect(night.files).toBe(5);
    expect(night.instruments).toEqual([
      { instrument: 'KCWI', level: 0, files: 4 },
      { instrument: 'KCWI', level: 1, files: 1 },
    ]);
  });

  it('a raw frame lists its products (GET /v1/files/{id}, catalog ?parent=)', async () => {
    const view = await get(`/v1/files/${objects[0]!.archiveId}`);
    expect(view.products.map((p: any) => p.archiveId)).toEqual([product]);
    expect((await get(`/v1/files/${objects[1]!.archiveId}`)).products).toEqual([]);
    expect((await get(`/v1/catalog?parent=${objects[0]!.archiveId}`)).files.map((f: any) => f.archiveId)).toEqual([product]);
  });

  it("GET /v1/files/{id}/calibrations answers the frames the instrument's rules associate with a science frame", async () => {
    const answer = await get(`/v1/files/${objects[0]!.archiveId}/calibrations`);
    const bias = answer.rules.find((r: any) => r.rule === 'bias');
    expect(bias.calibrations.map((c: any) => c.archiveId).sort()).toEqual(biases.map((f) => f.archiveId).sort());
    expect(typeof bias.calibrations[0].hours).toBe('number');
    const hidden = await fetch(`${archive.url}/v1/files/${objects[0]!.archiveId}/calibrations`, { headers: auth(TOKENS.hiresOnly) });
    expect(hidden.status).toBe(404);
  });
});
