/**
 * The event feed over HTTP, as a pipeline uses it: long-poll with a cursor and filters, the Server-Sent Events
 * stream resuming from Last-Event-ID, webhook subscriptions registered through the API that survive a subscriber
 * being down (every event after it comes back, in order, once), and tokens that see only what they may read.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { verifyWebhook } from '../../../src/adapters/http/webhook.js';
import type { TransferRequest } from '../../../src/core/ports/transport.js';
import { preparedFrames, removeDir, startArchive, tempDir, TOKENS, waitFor, type Archive } from './_harness.js';

let archive: Archive;
let dir: string;
let frames: TransferRequest[];
beforeAll(async () => {
  dir = tempDir('feed');
  archive = await startArchive({ sqlite: true, server: { callbacks: { baseDelayMs: 20, maxDelayMs: 200 }, feed: { pollMs: 200, batch: 3 } } });
  frames = [
    ...(await preparedFrames(dir, 4, { kind: 'object', object: 'NGC 1275', program: 'K123' })),
    ...(await preparedFrames(join2(dir, 'b'), 2, { kind: 'bias', program: 'ENG' }, 10)),
  ];
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

function join2(a: string, b: string): string {
  return `${a}/${b}`;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
async function get(path: string, token: string = TOKENS.read): Promise<any> {
  const response = await fetch(`${archive.url}${path}`, { headers: auth(token) });
  const json = await response.json();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}
async function push(requests: TransferRequest[]): Promise<void> {
  const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
  for (const r of requests) await transport.transfer(r);
  await transport.close?.();
}

describe('event feed', () => {
  it('a long-poll with a cursor answers as soon as a frame is archived, with its catalog fields and URLs', async () => {
    const start = await get('/v1/events?after=0');
    expect(start).toEqual({ events: [], cursor: 0 });
    const polled = get('/v1/events?after=0&wait=20');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = Date.now();
    await push(frames.slice(0, 1));
    const page = await polled;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(page.events).toHaveLength(1);
    const [event] = page.events;
    expect(event).toMatchObject({
      kind: 'archived',
      archiveId: frames[0]!.archiveId,
      instrument: 'KCWI',
      level: 0,
      night: frames[0]!.night,
      program: 'K123',
      object: 'NGC 1275',
      parents: [],
      sha256: frames[0]!.sha256,
      urls: { file: `/v1/files/${frames[0]!.archiveId}`, content: `/v1/files/${frames[0]!.archiveId}/content` },
    });
    expect(typeof event.imageType).toBe('string');
    expect(page.cursor).toBe(event.seq);
    expect(await get(`/v1/events?after=${page.cursor}`)).toEqual({ events: [], cursor: page.cursor });
  });

  it('filters by image type and level; the cursor passes the events the filter skips', async () => {
    await push(frames.slice(1));
    await waitFor(async () => (await get('/v1/events?after=0&limit=100')).events.length === 6, 'six archived events');
    const all = (await get('/v1/events?after=0')).events;
    const bias = await get('/v1/events?after=0&imagetype=BIAS');
    expect(bias.events.map((e: any) => e.archiveId)).toEqual(frames.slice(4).map((f) => f.archiveId));
    expect(bias.cursor).toBe(all.at(-1).seq);
    expect((await get('/v1/events?after=0&level=1')).events).toEqual([]);
    expect((await get('/v1/events?after=0&instrument=kcwi&kind=archived&limit=2')).events).toHaveLength(2);
    const bad = await fetch(`${archive.url}/v1/events?instrument=NOPE`, { headers: auth(TOKENS.read) });
    expect(bad.status).toBe(400);
  });

  it('a token limited to another instrument sees none of these events, and its cursor still moves on', async () => {
    const page = await get('/v1/events?after=0&wait=0.3', TOKENS.hiresOnly);
    expect(page.events).toEqual([]);
    expect(page.cursor).toBe((await get('/v1/events?after=0')).events.at(-1).seq);
  });

  it('the event stream sends every event with its seq as id, and resumes after Last-Event-ID', async () => {
    const all = (await get('/v1/events?after=0')).events;
    const read = async (lastId: number, count: number): Promise<{ id: number; kind: string; archiveId: string }[]> => {
      const controller = new AbortController();
      const response = await fetch(`${archive.url}/v1/events/stream`, { headers: { ...auth(TOKENS.read), 'last-event-id': String(lastId) }, signal: controller.signal });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const decoder = new TextDecoder();
      let text = '';
      const got: { id: number; kind: string; archiveId: string }[] = [];
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const kind = /^event: (\w+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && kind && data) got.push({ id: Number(id), kind, archiveId: JSON.parse(data).archiveId });
        }
        if (got.length >= count) break;
      }
      controller.abort();
      return got.slice(0, count);
    };
    const first = await read(0, 2);
    expect(first.map((e) => e.id)).toEqual(all.slice(0, 2).map((e: any) => e.seq));
    const rest = await read(first[1]!.id, all.length - 2);
    expect(rest.map((e) => e.archiveId)).toEqual(all.slice(2).map((e: any) => e.archiveId));
  });
});

/** A webhook receiver that refuses (503) while `down`, and records what it accepted. */
function receiver(secret: string) {
  const state = { down: true, refused: 0, deliveries: [] as any[], seqs: [] as number[] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        state.refused++;
        return void res.writeHead(503).end();
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const payload = verifyWebhook({ secret, body, signature: req.headers['x-fits-ingest-signature'] as string }) as unknown as { deliveryId: string; events: { seq: number }[] };
      state.deliveries.push(payload);
      state.seqs.push(...payload.events.map((e) => e.seq));
      res.writeHead(204).end();
    });
  });
  return { state, server, url: new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`))) };
}

describe('webhook subscriptions', () => {
  it('a subscriber down for a while receives every event after it comes back, in order, once; its cursor is stored', async () => {
    const secret = 'subscriber-secret-0123456789';
    const hook = receiver(secret);
    const url = await hook.url;
    const created = await fetch(`${archive.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { ...auth(TOKENS.read), 'content-type': 'application/json' },
      body: JSON.stringify({ url, secret, filter: { instrument: 'KCWI' }, after: 0 }),
    });
    expect(created.status).toBe(201);
    const subscription = (await created.json()) as any;
    expect(subscription).toMatchObject({ url, site: 'reader', cursor: 0, filter: { instrument: 'KCWI' } });
    await waitFor(() => hook.state.refused >= 3, 'three refused deliveries while the subscriber is down');
    hook.state.down = false;
    const all = (await get('/v1/events?after=0&instrument=KCWI')).events.map((e: any) => e.seq);
    await waitFor(() => hook.state.seqs.length >= all.length, 'the backlog delivered', 10_000);
    expect(hook.state.seqs).toEqual(all);
    expect(hook.state.deliveries[0].events.length).toBeLessThanOrEqual(3);
    await waitFor(async () => (await get(`/v1/subscriptions/${subscription.id}`)).cursor >= all.at(-1), 'the cursor stored');
    const listed = await get('/v1/subscriptions');
    expect(listed.subscriptions.map((s: any) => s.id)).toContain(subscription.id);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect((await get('/v1/subscriptions', TOKENS.hiresOnly)).subscriptions).toEqual([]);
    const removed = await fetch(`${archive.url}/v1/subscriptions/${subscription.id}`, { method: 'DELETE', headers: auth(TOKENS.read) });
    expect(removed.status).toBe(204);
    hook.server.close();
  });

  it("a subscription registered by a token limited to another instrument never receives this archive's KCWI files", async () => {
    const secret = 'hires-subscriber-secret-012345';
    const hook = receiver(secret);
    hook.state.down = false;
    const url = await hook.url;
    const created: any = await (await fetch(`${archive.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { ...auth(TOKENS.hiresOnly), 'content-type': 'application/json' },
      body: JSON.stringify({ url, secret, after: 0 }),
    })).json();
    const newest = (await get('/v1/events?after=0')).events.at(-1).seq;
    await waitFor(async () => (await get(`/v1/subscriptions/${created.id}`, TOKENS.hiresOnly)).cursor >= newest, 'the cursor passes the invisible events');
    expect(hook.state.seqs).toEqual([]);
    hook.server.close();
  });
});
