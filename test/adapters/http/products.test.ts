/**
 * Pipeline products over plain HTTP (as a Python pipeline would send them): single products with their raw
 * parents, a batch held until its night is released, parents the archive does not hold; an explicit reingest
 * that supersedes; per-file, per-ingestion and per-night status.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { TransferRequest } from '../../../src/core/ports/transport.js';
import { makeFrame } from '../../../src/simulator/frames.js';
import { preparedFrames, removeDir, startArchive, tempDir, TOKENS, type Archive } from './_harness.js';

let archive: Archive;
let dir: string;
let raws: TransferRequest[];
beforeAll(async () => {
  dir = tempDir('products');
  archive = await startArchive();
  raws = await preparedFrames(dir, 3);
  const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
  for (const raw of raws) await transport.transfer(raw);
  await transport.close?.();
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

const auth = (token: string = TOKENS.push) => ({ authorization: `Bearer ${token}` });

/** Uploads a product's bytes in one request; returns its declaration. */
async function upload(name: string, frame: number): Promise<{ sha256: string; name: string }> {
  const bytes = makeFrame({ time: new Date(Date.UTC(2026, 10, 20, 9, frame)), frameNumber: 100 + frame, axes: [32, 32], cards: [['PIPELINE', 'KCWI_DRP', 'reduced']] });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const response = await fetch(`${archive.url}/v1/uploads?name=${name}&sha256=${sha256}&instrument=KCWI&level=2`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/fits' },
    body: bytes,
  });
  expect(response.status).toBe(201);
  return { sha256, name };
}

async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${archive.url}${path}`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function get(path: string, token: string = TOKENS.read): Promise<any> {
  const response = await fetch(`${archive.url}${path}`, { headers: auth(token) });
  expect(response.status).toBe(200);
  return response.json();
}

describe('pipeline products', () => {
  it('a single product is archived as level 2, named after its raw parent, linked to it', async () => {
    const product = await upload('kb261120_00001_icubed.fits', 1);
    const parent = raws[0]!.archiveId;
    const { status, json } = await post('/v1/products', { products: [{ ...product, instrument: 'KCWI', level: 2, parents: [parent] }], wait: 20 });
    expect(status).toBe(200);
    expect(json.products[0]).toMatchObject({ state: 'ARCHIVED', level: 2, parents: [parent], archiveId: `${parent}_kb261120_00001_icubed` });
    const children = await archive.catalog.findArchived({ parent });
    expect(children.map((f) => [f.archiveId, f.level])).toEqual([[`${parent}_kb261120_00001_icubed`, 2]]);
  });

  it('a held batch waits for its night to be released, then every product is archived', async () => {
    const a = await upload('kb261120_00002_icubed.fits', 2);
    const b = await upload('kb261120_00003_icubed.fits', 3);
    const products = [
      { ...a, instrument: 'KCWI', level: 2, parents: [raws[1]!.archiveId] },
      { ...b, instrument: 'KCWI', level: 2, parents: [raws[2]!.archiveId] },
    ];
    const held = await post('/v1/products', { products, hold: true, night: '2026-11-20' });
    expect([held.status, held.json.held]).toEqual([202, 2]);
    const before = await get('/v1/nights/2026-11-20');
    expect(before.held).toBe(2);
    expect(before.files.filter((f: { level: number }) => f.level === 2)).toHaveLength(1); // only the earlier single product
    const released = await post('/v1/nights/2026-11-20/release', {});
    expect(released.json.released).toHaveLength(2);
    for (const r of released.json.released) {
      const done = await get(`/v1/ingest/${r.recordId}?wait=20`, TOKENS.push);
      expect(done.state).toBe('ARCHIVED');
    }
    const after = await get('/v1/nights/2026-11-20');
    expect(after.held).toBe(0);
    expect(after.counts.ARCHIVED).toBe(6);
    for (const file of after.files) expect(typeof file.metrics.archivedAt).toBe('string');
  });

  it('a product naming a parent the archive does not hold is refused (422 PARENT_UNKNOWN)', async () => {
    const product = await upload('orphan_icubed.fits', 9);
    const { status, json } = await post('/v1/products', { products: [{ ...product, instrument: 'KCWI', level: 2, parents: ['KB.20991231.00000.00'] }] });
    expect([status, json.error.code]).toEqual([422, 'PARENT_UNKNOWN']);
  });
});

describe('reingest and status', () => {
  it('different bytes under an archived id are refused unless sent as a reingest, which supersedes', async () => {
    const raw = raws[0]!;
    const bytes = readFileSync(raw.path);
    const at = bytes.toString('latin1').indexOf('OBJECT  =');
    bytes.write("OBJECT  = 'reprocessed'".padEnd(80), at, 'latin1');
    const changed = join(dir, 'changed.fits');
    writeFileSync(changed, bytes);
    const request = { ...raw, path: changed, sha256: createHash('sha256').update(bytes).digest('hex'), hdus: [] };
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
    const refused = await transport.transfer(request).then(() => undefined, (e: unknown) => e);
    expect(isIngestError(refused, 'ARCHIVE_ID_CONFLICT')).toBe(true);
    const before = (await archive.catalog.getArchived(raw.archiveId))!;
    const receipt = await transport.transfer({ ...request, replace: true });
    expect(receipt.sha256).toBe(request.sha256);
    const view = await get(`/v1/files/${raw.archiveId}`);
    expect(view.ingest).toMatchObject({ state: 'ARCHIVED', sha256: request.sha256 });
    expect(view.ingest.recordId).not.toBe(before.recordId);
    expect((await archive.catalog.getRecord(before.recordId))!.state).toBe('SUPERSEDED');
    await transport.close?.();
  });

  it('status of an unknown archive id is 404; GET /v1/files/{id}/content returns the archived bytes with their digest', async () => {
    const missing = await fetch(`${archive.url}/v1/files/KB.20991231.00000.00`, { headers: auth(TOKENS.read) });
    expect(missing.status).toBe(404);
    const raw = raws[2]!;
    const content = await fetch(`${archive.url}/v1/files/${raw.archiveId}/content`, { headers: auth(TOKENS.read) });
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.equals(readFileSync(raw.path))).toBe(true);
    expect(content.headers.get('repr-digest')).toBe(`sha-256=:${Buffer.from(raw.sha256, 'hex').toString('base64')}:`);
  });

  it('new bytes of a product through /v1/products: 409 ARCHIVE_ID_CONFLICT (no server path), then with reingest a new version, the old one SUPERSEDED and kept; warnings carry their messages', async () => {
    const parent = raws[0]!.archiveId;
    const first = await upload('kb261120_00009_icubed.fits', 9);
    const one = await post('/v1/products', { products: [{ ...first, instrument: 'KCWI', level: 2, parents: [parent] }], wait: 20 });
    expect(one.json.products[0].state).toBe('ARCHIVED');
    const id = one.json.products[0].archiveId;
    // The product's archive id is longer than 32 characters: the koaid column holds it all (it was null before).
    expect(id.length).toBeGreaterThan(32);
    expect((await archive.catalog.getArchived(id))!.columns['koaid']).toBe(`${id}.fits`);
    expect(one.json.products[0].warnings).not.toContain('COLUMN_VALUE_REJECTED');
    for (const w of one.json.products[0].warningDetails) expect(typeof w.message).toBe('string');
    expect(one.json.products[0].warningDetails.map((w: { code: string }) => w.code)).toEqual(one.json.products[0].warnings);
    // Same name, same parent, other bytes.
    const second = await upload('kb261120_00009_icubed.fits', 19);
    const refused = await post('/v1/products', { products: [{ ...second, instrument: 'KCWI', level: 2, parents: [parent] }], wait: 20 });
    expect([refused.status, refused.json.error.code]).toEqual([409, 'ARCHIVE_ID_CONFLICT']);
    expect(refused.json.error.message).toContain('"reingest": true');
    expect(JSON.stringify(refused.json)).not.toContain(archive.uploads);
    const versioned = await post('/v1/products', { products: [{ ...second, instrument: 'KCWI', level: 2, parents: [parent], reingest: true }], wait: 20 });
    expect([versioned.status, versioned.json.products[0].state, versioned.json.products[0].archiveId]).toEqual([200, 'ARCHIVED', id]);
    const versions = await archive.catalog.archivedVersions!(id);
    expect(versions.map((v) => v.sourceSha256)).toEqual([first.sha256, second.sha256]);
    const old = await archive.catalog.getRecord(versions[0]!.recordId);
    expect(old!.state).toBe('SUPERSEDED');
  });

  it("a held batch for a night none of its parents is of is refused (400, naming the night)", async () => {
    const product = await upload('kb261120_00011_icubed.fits', 11);
    const held = await post('/v1/products', { products: [{ ...product, instrument: 'KCWI', level: 2, parents: [raws[0]!.archiveId] }], hold: true, night: '2026-12-05' });
    expect([held.status, held.json.error.code]).toEqual([400, 'BAD_REQUEST']);
    expect(held.json.error.message).toContain(`held for the night 2026-12-05, but its parents are of ${raws[0]!.night}`);
  });

  it('a stale held product does not block the release: it is reported in failed, the others are archived, the next release is clean', async () => {
    const night = raws[1]!.night;
    const product = await upload('kb261120_00012_icubed.fits', 12);
    const held = await post('/v1/products', { products: [{ ...product, instrument: 'KCWI', level: 2, parents: [raws[1]!.archiveId] }], hold: true, night });
    expect(held.status).toBe(202);
    // A product whose upload is gone (what the DRP had to edit out of .uploads/held/ by hand).
    const file = join(archive.uploads, 'held', `${night}.json`);
    const batch = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    writeFileSync(file, JSON.stringify([{ ...batch[0], name: 'gone.fits', sha256: 'b'.repeat(64) }, ...batch]));
    const released = await post(`/v1/nights/${night}/release?wait=20`, {});
    expect(released.status).toBe(200);
    expect(released.json.released.map((p: { state: string }) => p.state)).toEqual(['ARCHIVED']);
    expect(released.json.failed).toEqual([{ name: 'gone.fits', sha256: 'b'.repeat(64), code: 'NOT_RECEIVED', message: expect.stringContaining('gone.fits') }]);
    const again = await post(`/v1/nights/${night}/release`, {});
    expect([again.status, again.json.released, again.json.failed]).toEqual([200, [], []]);
  });

  it('held products are listed (own site only) and can be withdrawn; a withdrawn product is not released', async () => {
    const night = raws[2]!.night;
    const a = await upload('kb261120_00013_icubed.fits', 13);
    const b = await upload('kb261120_00014_icubed.fits', 14);
    const products = [a, b].map((p) => ({ ...p, instrument: 'KCWI', level: 2, parents: [raws[2]!.archiveId] }));
    expect((await post('/v1/products', { products, hold: true, night })).status).toBe(202);
    const listed = await fetch(`${archive.url}/v1/nights/${night}/held`, { headers: auth() });
    const body = (await listed.json()) as { held: { name: string; site: string; instrument: string }[] };
    expect(body.held.map((h) => [h.name, h.site, h.instrument])).toEqual([[a.name, 'keck', 'KCWI'], [b.name, 'keck', 'KCWI']]);
    const other = (await (await fetch(`${archive.url}/v1/nights/${night}/held`, { headers: auth(TOKENS.hiresOnly) })).json()) as { held: unknown[] };
    expect(other.held).toEqual([]);
    expect((await fetch(`${archive.url}/v1/nights/${night}/held/${a.name}`, { method: 'DELETE', headers: auth(TOKENS.hiresOnly) })).status).toBe(404);
    expect((await fetch(`${archive.url}/v1/nights/${night}/held/${a.name}?sha256=${a.sha256}`, { method: 'DELETE', headers: auth() })).status).toBe(204);
    const released = await post(`/v1/nights/${night}/release?wait=20`, {});
    expect(released.json.released.map((p: { originalName: string }) => p.originalName)).toEqual([b.name]);
  });
});

describe('a product made with the raw header copied (what DRPs do)', () => {
  it('is archived as a product of its raw, OFNAME its own name, no OFNAME_MISMATCH; the raw is left as it was', async () => {
    const raw = raws[1]!;
    const content = await fetch(`${archive.url}/v1/files/${raw.archiveId}/content`, { headers: auth(TOKENS.read) });
    const bytes = Buffer.from(await content.arrayBuffer());
    // The raw's archived header verbatim (KOAID, OFNAME, level, sums) over other pixels.
    const dataAt = headerEnd(bytes);
    for (let i = dataAt; i < dataAt + 64; i++) bytes[i] = 255 - bytes[i]!;
    const name = 'kb261120_00002_red.fits';
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const up = await fetch(`${archive.url}/v1/uploads?name=${name}&sha256=${sha256}&level=1`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/fits' }, body: bytes });
    expect(up.status).toBe(201);
    const { status, json } = await post('/v1/products', { products: [{ sha256, name, level: 1, parents: [raw.archiveId] }], wait: 20 });
    expect(status).toBe(200);
    const [product] = json.products;
    expect(product).toMatchObject({ state: 'ARCHIVED', level: 1, archiveId: `${raw.archiveId}_kb261120_00002_red`, parents: [raw.archiveId] });
    expect(product.warnings).not.toContain('OFNAME_MISMATCH');
    const archived = (await archive.catalog.getArchived(product.archiveId))!;
    const card = (k: string) => archived.header.find((c) => c.keyword === k)?.value;
    expect([card('OFNAME'), card('KOAID'), card('DATLEVEL')]).toEqual([name, `${product.archiveId}.fits`, 1]);
    // What the DRP's copy said is kept losslessly in the history cards of the normalization.
    expect(archived.header.some((c) => c.keyword === 'HISTORY' && String(c.comment ?? c.value).includes('OFNAME'))).toBe(true);
    const parent = (await archive.catalog.getArchived(raw.archiveId))!;
    expect([parent.sha256, parent.level, parent.originalName]).toEqual([raw.sha256, 0, raw.originalName]);
    expect((await archive.catalog.getRecord(parent.recordId))!.state).toBe('ARCHIVED');
    const view = await get(`/v1/files/${raw.archiveId}`);
    expect(view.products.map((p: { archiveId: string }) => p.archiveId)).toContain(product.archiveId);
  });
});

describe('provenance of products', () => {
  it('parents with roles, pipeline and parameters go into the header and the catalog, and out through /v1/catalog and the products of a raw frame; held batches keep them', async () => {
    const [science, bias, flat] = raws.map((r) => r.archiveId) as [string, string, string];
    const declared = {
      roles: { [science]: 'science', [bias]: 'bias', [flat]: 'flat' },
      pipeline: { name: 'KCWI_DRP', version: '1.4.2' },
      parameters: { crzap: true, sigma: 4.5, skysub: 'model', wavelength_fit: 'a long list of settings that will not fit on one card of eighty characters' },
    };
    const single = await upload('kb261120_00021_icubed.fits', 21);
    const { status, json } = await post('/v1/products', { products: [{ ...single, instrument: 'KCWI', level: 2, parents: [science, bias, flat], ...declared }], wait: 20 });
    expect([status, json.products[0].state]).toEqual([200, 'ARCHIVED']);
    const id = json.products[0].archiveId;
    const provenance = {
      parents: [{ archiveId: science, role: 'science' }, { archiveId: bias, role: 'bias' }, { archiveId: flat, role: 'flat' }],
      pipeline: declared.pipeline,
      parameters: declared.parameters,
    };
    const file = (await archive.catalog.getArchived(id))!;
    expect(file.provenance).toEqual(provenance);
    const card = (k: string) => file.header.find((c) => c.keyword === k)?.value;
    expect([card('PIPENAME'), card('PIPEVERS'), card('NPARENT'), card('PARNT2'), card('PROLE2'), card('PROLE3')]).toEqual(['KCWI_DRP', '1.4.2', 3, bias, 'bias', 'flat']);
    expect(JSON.parse(String(card('PIPEPARS')))).toEqual(declared.parameters);
    const listed = await get(`/v1/catalog?parent=${science}`);
    expect(listed.files.find((f: { archiveId: string }) => f.archiveId === id).provenance).toEqual(provenance);
    const raw = await get(`/v1/files/${science}`);
    expect(raw.products.find((p: { archiveId: string }) => p.archiveId === id).provenance).toEqual(provenance);
    expect((await get(`/v1/catalog?archiveId=${science}`)).files[0].provenance).toBeNull();

    const later = await upload('kb261120_00022_icubed.fits', 22);
    const night = raws[0]!.night;
    const held = await post('/v1/products', { products: [{ ...later, instrument: 'KCWI', level: 2, parents: [science], roles: { [science]: 'science' } }], hold: true, night });
    expect(held.status).toBe(202);
    const released = await post(`/v1/nights/${night}/release?wait=20`, {});
    const archived = (await archive.catalog.getArchived(released.json.released[0].archiveId))!;
    expect(archived.provenance).toEqual({ parents: [{ archiveId: science, role: 'science' }], pipeline: null, parameters: {} });
  });

  it('a role for an archive id that is not a parent is refused (400) before anything is submitted', async () => {
    const product = await upload('kb261120_00023_icubed.fits', 23);
    const { status, json } = await post('/v1/products', { products: [{ ...product, instrument: 'KCWI', level: 2, parents: [raws[0]!.archiveId], roles: { [raws[1]!.archiveId]: 'bias' } }] });
    expect([status, json.error.code]).toEqual([400, 'BAD_REQUEST']);
    expect(json.error.message).toContain(raws[1]!.archiveId);
    expect(await archive.catalog.findArchived({ sourceSha256: product.sha256 })).toEqual([]);
  });
});

/** Offset of the first data byte of a FITS file's primary HDU (after the END card's block). */
function headerEnd(bytes: Buffer): number {
  for (let at = 0; at < bytes.length; at += 80) {
    if (bytes.toString('latin1', at, at + 8) === 'END     ') return Math.ceil((at + 80) / 2880) * 2880;
  }
  throw new Error('no END card');
}

