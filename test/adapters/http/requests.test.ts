/** The reprocessing endpoints on a real server on 127.0.0.1, with the example pipeline and real tokens. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestServer, type ListeningServer } from '../../../src/adapters/http/server.js';
import type { ProcessingService } from '../../../src/processing/service.js';
import { buildArchive, calibrationFiles, examplePipeline, T0, type TestArchive } from '../processors/_archive.js';

const ANA = 'ana-token-0123456789abcdef-0001';
const BOB = 'bob-token-0123456789abcdef-0002';
const HIRES = 'hires-token-0123456789abcdef-03';

describe('POST/GET/DELETE /v1/requests', { timeout: 120_000 }, () => {
  let t: TestArchive;
  let service: ProcessingService;
  let listening: ListeningServer;
  let server: ReturnType<typeof createIngestServer>;
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${listening.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') ? ((await res.json()) as any) : type.includes('text') ? await res.text() : new Uint8Array(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    t = await buildArchive('http');
    service = await t.service({ processor: examplePipeline(join(t.dir, 'runs')), areas: 1 });
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
    server = createIngestServer({
      ingestor: t.ingestor, uploads: join(t.dir, 'uploads'), processing: service,
      tokens: [{ site: 'ana', token: ANA, scopes: ['read'] }, { site: 'bob', token: BOB, scopes: ['read'] }, { site: 'hires-drp', token: HIRES, scopes: ['read'], instruments: ['HIRES'] }],
    });
    listening = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await listening?.close(100);
    await server?.close();
    await t?.close();
  });

  it('submits, reports status with product URLs and the log, and serves the products; other sites see nothing', async () => {
    const submitted = await call(ANA, 'POST', '/v1/requests', { archiveIds: [t.ids['sci1']] });
    expect(submitted.status).toBe(202);
    const id = submitted.body.requests[0].id as string;
    let view = submitted.body.requests[0];
    for (let i = 0; i < 400 && !['DONE', 'FAILED', 'CANCELLED'].includes(view.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = (await call(ANA, 'GET', `/v1/requests/${id}`)).body;
    }
    expect(view).toMatchObject({ state: 'DONE', requester: 'ana', calibration: { setId: 'KCWI/imaging/v1' }, products: [{ archiveId: `${t.ids['sci1']}_reduced`, url: `/v1/files/${t.ids['sci1']}_reduced/content` }] });
    const bytes = (await call(ANA, 'GET', view.products[0].url)).body as Uint8Array;
    expect(createHash('sha256').update(bytes).digest('hex')).toBe((await t.ingestor.catalog.getArchived(`${t.ids['sci1']}_reduced`))!.sha256);
    const log = await call(ANA, 'GET', `/v1/requests/${id}/log`);
    expect(log).toMatchObject({ status: 200, body: expect.stringContaining('imager_reduce 1.0: KCWI/imaging/v1') });
    expect(await call(BOB, 'GET', `/v1/requests/${id}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await call(BOB, 'DELETE', `/v1/requests/${id}`)).status).toBe(404);
  });

  it('refuses what the token may not do, and nothing is queued', async () => {
    const before = (await service.list()).length;
    expect(await call(HIRES, 'POST', '/v1/requests', { program: 'K123' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await call(ANA, 'POST', '/v1/requests', { program: 'K123', priority: 5 })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await call(ANA, 'POST', '/v1/requests', { program: 'K123', sneaky: true })).toMatchObject({ status: 400 });
    expect((await service.list()).length).toBe(before);
  });

  it('cancels its own request', async () => {
    const submitted = await call(BOB, 'POST', '/v1/requests', { archiveIds: [t.ids['sci2']] });
    const cancelled = await call(BOB, 'DELETE', `/v1/requests/${submitted.body.requests[0].id}`);
    expect(cancelled).toMatchObject({ status: 200, body: { state: 'CANCELLED', requester: 'bob' } });
    expect(cancelled.body.history.at(-1)).toMatchObject({ cause: 'CANCEL', actor: 'site:bob' });
  });
});
