/** The ZeroMQ keyword adapter over real sockets on 127.0.0.1 (ports chosen free by binding port *). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodePublication, encodePublication } from '../../../src/adapters/keyword-sources/_mktl.js';
import { loadZeromq } from '../../../src/adapters/keyword-sources/_zeromq.js';
import {
  createZeromqKeywordPublisher,
  createZeromqKeywordSource,
  ZEROMQ_KEYWORD_SOURCE,
  type ZeromqKeywordPublisher,
  type ZeromqKeywordSourceOptions,
} from '../../../src/adapters/keyword-sources/zeromq.js';
import { isIngestError, type IngestError } from '../../../src/core/errors.js';
import type { KeywordMessage, KeywordSource } from '../../../src/core/ports/keyword-source.js';

const KEY = 'kbds.LOUTFILE';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function publisher(options: { requestReply?: boolean; at?: ZeromqKeywordPublisher; values?: KeywordMessage[] } = {}) {
  const p = createZeromqKeywordPublisher({
    endpoint: options.at?.endpoint ?? 'tcp://127.0.0.1:*',
    ...(options.requestReply === false ? {} : { requestEndpoint: options.at?.requestEndpoint ?? 'tcp://127.0.0.1:*' }),
    values: options.values ?? [],
  });
  await p.bind();
  closers.push(() => p.close());
  return p;
}

function subscriber(options: ZeromqKeywordSourceOptions, keys = [KEY]) {
  const source = createZeromqKeywordSource({ reconnectIntervalMs: 20, reconnectMaxIntervalMs: 200, ...options });
  closers.push(() => source.close());
  const messages: KeywordMessage[] = [];
  const problems: IngestError[] = [];
  source.subscribe(keys, { message: (m) => messages.push(m), problem: (e) => problems.push(e) });
  return { source, messages, problems };
}

const connected = (source: KeywordSource) => vi.waitFor(() => expect(source.state).toBe('connected'), { timeout: 5000, interval: 10 });

describe('the mKTL-style wire format', () => {
  it('is [key, JSON { value, time in UNIX seconds }] and reads back exactly', () => {
    const frames = encodePublication(KEY, '/s/sdata1400/kcwi1/kb0001.fits', 1_700_000_000_250);
    expect(frames[0]).toBe(KEY);
    expect(JSON.parse(frames[1])).toEqual({ value: '/s/sdata1400/kcwi1/kb0001.fits', time: 1_700_000_000.25 });
    const bytes = frames.map((f) => new TextEncoder().encode(f));
    expect(decodePublication(bytes, 0)).toEqual({ key: KEY, value: '/s/sdata1400/kcwi1/kb0001.fits', time: 1_700_000_000_250 });
    const noTime = [KEY, '{"value": 7}'].map((f) => new TextEncoder().encode(f));
    expect(decodePublication(noTime, 42)).toEqual({ key: KEY, value: 7, time: 42 });
  });
});

describe('createZeromqKeywordSource', () => {
  it('receives publications of its exact keys, not of keys it merely prefixes', async () => {
    const pub = await publisher({ requestReply: false });
    const { source, messages } = subscriber({ endpoint: pub.endpoint });
    expect(source.name).toBe(ZEROMQ_KEYWORD_SOURCE);
    expect(source.capabilities).toEqual({ primes: false, requestReply: false, reconnects: true });
    expect(source.state).toBe('connecting');
    await source.connect();
    await connected(source);
    await pub.waitForSubscriber(KEY);
    await pub.publish(`${KEY}2`, '/s/not-mine.fits', 1000);
    await pub.publish(KEY, '/s/mine.fits', 2000);
    await vi.waitFor(() => expect(messages).toEqual([{ key: KEY, value: '/s/mine.fits', time: 2000 }]));
    // Without a request channel, get() answers from what was received.
    await expect(source.get(KEY)).resolves.toEqual({ key: KEY, value: '/s/mine.fits', time: 2000 });
    await expect(source.get(`${KEY}2`)).resolves.toBeUndefined();
  });

  it('asks the request channel for current values and primes after each connection', async () => {
    const pub = await publisher({ values: [{ key: KEY, value: '/s/before.fits', time: 1000 }] });
    const { source, messages } = subscriber({ endpoint: pub.endpoint, requestEndpoint: pub.requestEndpoint! });
    expect(source.capabilities).toEqual({ primes: true, requestReply: true, reconnects: true });
    await source.connect();
    await vi.waitFor(() => expect(messages).toEqual([{ key: KEY, value: '/s/before.fits', time: 1000, initial: true }]));
    await expect(source.get(KEY)).resolves.toEqual({ key: KEY, value: '/s/before.fits', time: 1000 });
    await expect(source.get('kbds.UNKNOWN')).resolves.toBeUndefined();

    // The publisher restarts on the same ports with a new current value: the source reconnects and primes it.
    const values = [{ key: KEY, value: '/s/during.fits', time: 3000 }];
    await pub.close();
    await vi.waitFor(() => expect(source.state).toBe('disconnected'));
    const again = await publisher({ at: pub, values });
    await connected(source);
    await vi.waitFor(() => expect(messages.at(-1)).toEqual({ key: KEY, value: '/s/during.fits', time: 3000, initial: true }));
    await again.waitForSubscriber(KEY);
    await again.publish(KEY, '/s/after.fits', 4000);
    await vi.waitFor(() => expect(messages.at(-1)).toEqual({ key: KEY, value: '/s/after.fits', time: 4000 }));
  });

  it('connects once a publisher that was not there at first appears (libzmq retries with backoff)', async () => {
    const placeholder = await publisher();
    const at = { endpoint: placeholder.endpoint, requestEndpoint: placeholder.requestEndpoint };
    await placeholder.close();
    const { source, messages } = subscriber({ endpoint: at.endpoint, requestEndpoint: at.requestEndpoint! });
    await source.connect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(source.state).not.toBe('connected');
    const pub = await publisher({ at: at as ZeromqKeywordPublisher });
    await connected(source);
    await pub.waitForSubscriber(KEY);
    await pub.publish(KEY, '/s/late.fits', 10);
    await vi.waitFor(() => expect(messages.map((m) => m.value)).toContain('/s/late.fits'));
  });

  it('reports unreadable publications of its keys as KEYWORD_BAD_MESSAGE and keeps receiving', async () => {
    const zmq = await loadZeromq();
    const raw = new zmq.Publisher({ linger: 0 });
    await raw.bind('tcp://127.0.0.1:*');
    closers.push(async () => raw.close());
    const { source, messages, problems } = subscriber({ endpoint: raw.lastEndpoint! });
    await source.connect();
    await connected(source);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a PUB socket cannot tell when the subscription arrived
    await raw.send([KEY, 'not json']);
    await raw.send([KEY, '{"time": 1}']);
    await raw.send([KEY]);
    await raw.send([`${KEY}X`, 'not json either']); // not a key of ours: dropped quietly
    await raw.send([KEY, '{"value": "/s/ok.fits", "time": 2}']);
    await vi.waitFor(() => expect(messages).toEqual([{ key: KEY, value: '/s/ok.fits', time: 2000 }]));
    expect(problems.map((p) => p.code)).toEqual(['KEYWORD_BAD_MESSAGE', 'KEYWORD_BAD_MESSAGE', 'KEYWORD_BAD_MESSAGE']);
    expect(problems[0]!.message).toContain(KEY);
  });

  it('rejects get() with KEYWORD_SOURCE_UNAVAILABLE when the publisher does not answer in time', async () => {
    const pub = await publisher();
    const { source } = subscriber({ endpoint: pub.endpoint, requestEndpoint: pub.requestEndpoint!, requestTimeoutMs: 200 });
    await source.connect();
    await pub.close();
    const started = Date.now();
    const error = await source.get(KEY).catch((e: unknown) => e);
    expect(isIngestError(error, 'KEYWORD_SOURCE_UNAVAILABLE')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    await source.close();
    expect(source.state).toBe('closed');
    await expect(source.connect()).rejects.toMatchObject({ code: 'KEYWORD_SOURCE_UNAVAILABLE' });
  });

  it('names a missing zeromq package with DEPENDENCY_MISSING', async () => {
    const error = await loadZeromq(() => Promise.reject(new Error("Cannot find package 'zeromq'"))).catch((e: unknown) => e);
    expect(isIngestError(error, 'DEPENDENCY_MISSING')).toBe(true);
    expect((error as Error).message).toContain('npm install zeromq');
  });

  it('validates its options, and the publisher refuses a port in use', async () => {
    for (const options of [{ endpoint: 'localhost:5570' }, { endpoint: 'tcp://127.0.0.1:1', reconnectIntervalMs: 0 }, {}]) {
      let error: unknown;
      try {
        createZeromqKeywordSource(options as ZeromqKeywordSourceOptions);
      } catch (e) {
        error = e;
      }
      expect(isIngestError(error, 'INVALID_OPTIONS')).toBe(true);
    }
    const pub = await publisher({ requestReply: false });
    const clash = createZeromqKeywordPublisher({ endpoint: pub.endpoint });
    await expect(clash.bind()).rejects.toMatchObject({ code: 'KEYWORD_SOURCE_UNAVAILABLE' });
  });
});
