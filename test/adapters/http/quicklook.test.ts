/** GET /v1/quicklook and POST/GET /v1/nights/{night}/close on a real server on 127.0.0.1, with the example pipeline. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestServer, type ListeningServer } from '../../../src/adapters/http/server.js';
import { liveNight, NIGHT, until, type LiveNight } from '../../processing/_night.js';

const ADMIN = 'admin-token-0123456789abcdef-001';
const READER = 'reader-token-0123456789abcdef-02';
const HIRES = 'hires-token-0123456789abcdef-003';

describe('quick-look over HTTP', { timeout: 240_000 }, () => {
  let night: LiveNight;
  let listening: ListeningServer;
  let server: ReturnType<typeof createIngestServer>;
  const call = async (token: string, method: string, path: string) => {
    const res = await fetch(`${listening.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  beforeAll(async () => {
    night = await liveNight('http', { lateAfterMs: 600_000 });
    server = createIngestServer({
      ingestor: night.ingestor, uploads: join(night.dir, 'uploads'), processing: night.service, quickLook: night.quickLook,
      tokens: [{ site: 'ops', token: ADMIN, scopes: ['admin'] }, { site: 'kcwi', token: READER, scopes: ['read'] }, { site: 'hires', token: HIRES, scopes: ['read'], instruments: ['HIRES'] }],
    });
    listening = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await listening?.close(100);
    await server?.close();
    await night?.close();
  });

  it('shows the waiting frame, then the latencies; closes the night for an admin only; hides other instruments', async () => {
    const early = await night.frame('object', 30);
    const waiting = await until(async () => {
      const r = await call(READER, 'GET', '/v1/quicklook');
      return r.body.waiting?.length === 1 && r.body;
    }, 30_000, 'the waiting frame over HTTP');
    expect(waiting.waiting[0]).toMatchObject({ archiveId: early, waitingFor: ['bias', 'flatlamp'] });
    expect(waiting.states).toMatchObject({ WAITING: 1 });
    for (const m of [0, 1]) await night.frame('bias', m);
    await night.frame('flatlamp', 5);
    const done = await until(async () => {
      const r = await call(READER, 'GET', `/v1/quicklook?instrument=KCWI&night=${NIGHT}`);
      return r.body.states?.DONE === 1 && r.body;
    }, 120_000, 'the quick-look over HTTP');
    expect(done.quicklook).toMatchObject({ count: 1 });
    expect(done.quicklook.p50).toBeGreaterThanOrEqual(done.archived.p50);
    expect((await call(HIRES, 'GET', '/v1/quicklook')).body.states).toEqual({ WAITING: 0, QUEUED: 0, DONE: 0, FAILED: 0 });

    expect((await call(READER, 'POST', `/v1/nights/${NIGHT}/close?instrument=KCWI`)).status).toBe(403);
    expect((await call(ADMIN, 'POST', '/v1/nights/2026-11-21/close?instrument=KCWI')).body.error.code).toBe('NOT_FOUND');
    const started = await call(ADMIN, 'POST', `/v1/nights/${NIGHT}/close?instrument=KCWI`);
    expect([200, 202]).toContain(started.status);
    const closed = await until(async () => {
      const r = await call(READER, 'GET', `/v1/nights/${NIGHT}/close?instrument=KCWI`);
      return r.body.state === 'CLOSED' && r.body;
    }, 120_000, 'the night to close');
    expect(closed).toMatchObject({ instrument: 'KCWI', night: NIGHT, requests: 1, failed: 0, closedBy: 'site:ops' });
    expect((await call(ADMIN, 'POST', `/v1/nights/${NIGHT}/close?instrument=KCWI`))).toMatchObject({ status: 200, body: { state: 'CLOSED', batch: closed.batch } });
  });
});
