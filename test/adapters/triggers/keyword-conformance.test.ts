/**
 * The Trigger conformance suite for the keyword monitor: over the in-memory source (reconnection: the link is cut
 * and restored, the trigger reconnects with backoff) and over real ZeroMQ sockets on 127.0.0.1 (reconnection:
 * the publisher is closed and restarted on the same ports; libzmq reconnects).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryKeywordBus, createMemoryKeywordSource } from '../../../src/adapters/keyword-sources/memory.js';
import { createZeromqKeywordPublisher, createZeromqKeywordSource, type ZeromqKeywordPublisher } from '../../../src/adapters/keyword-sources/zeromq.js';
import { createKeywordTrigger } from '../../../src/adapters/triggers/keyword.js';
import type { KeywordSource, KeywordSourceState } from '../../../src/core/ports/keyword-source.js';
import { triggerConformance } from '../../../src/testing/index.js';

const KEY = 'test.kbds.LASTFILE';
const instrument = (root: string) => ({ name: 'KCWI', keywordTrigger: { announce: { key: KEY }, roots: [root] } });

async function until(source: KeywordSource, state: KeywordSourceState, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (source.state !== state) {
    if (Date.now() > deadline) throw new Error(`source still ${source.state}, expected ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function writeFrame(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, randomBytes(2880));
  return path;
}

describe('keyword trigger over the in-memory source', () => {
  triggerConformance(
    { it, expect },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'fits-ingest-kw-'));
      const bus = createMemoryKeywordBus();
      const source = createMemoryKeywordSource({ bus });
      return {
        trigger: createKeywordTrigger({ source, instrument: instrument(dir), maxConcurrentSubmits: 4, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } }),
        maxConcurrentSubmits: 4,
        produce: async (name) => {
          const path = await writeFrame(dir, name);
          bus.publish(KEY, path);
          return path;
        },
        repeat: async (path) => void bus.publish(KEY, path),
        disconnect: async () => {
          bus.setAvailable(false);
          await until(source, 'disconnected');
        },
        reconnect: async () => {
          bus.setAvailable(true);
          await until(source, 'connected');
        },
        teardown: () => rm(dir, { recursive: true, force: true }),
      };
    },
    { reconnect: true, quietMs: 500 },
  );
});

describe('keyword trigger over ZeroMQ on 127.0.0.1', () => {
  triggerConformance(
    { it, expect },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'fits-ingest-kw-'));
      let publisher: ZeromqKeywordPublisher = createZeromqKeywordPublisher({ endpoint: 'tcp://127.0.0.1:*', requestEndpoint: 'tcp://127.0.0.1:*' });
      await publisher.bind();
      const source = createZeromqKeywordSource({ endpoint: publisher.endpoint, requestEndpoint: publisher.requestEndpoint!, reconnectIntervalMs: 20, reconnectMaxIntervalMs: 200 });
      return {
        trigger: createKeywordTrigger({ source, instrument: instrument(dir), maxConcurrentSubmits: 4 }),
        maxConcurrentSubmits: 4,
        produce: async (name) => {
          const path = await writeFrame(dir, name);
          await publisher.waitForSubscriber(KEY, 1000).catch(() => {}); // after stop() nobody subscribes: publish anyway
          await publisher.publish(KEY, path);
          return path;
        },
        repeat: async (path) => void (await publisher.publish(KEY, path)),
        disconnect: async () => {
          await publisher.close();
          await until(source, 'disconnected');
        },
        reconnect: async () => {
          // The same ports, the same current values: a publisher restart.
          publisher = createZeromqKeywordPublisher({ endpoint: publisher.endpoint, requestEndpoint: publisher.requestEndpoint!, values: publisher.values() });
          await publisher.bind();
          await until(source, 'connected');
        },
        teardown: async () => {
          await publisher.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
    { reconnect: true, quietMs: 500 },
  );
});
