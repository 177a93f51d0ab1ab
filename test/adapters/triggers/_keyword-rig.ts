/** A keyword trigger subscribed over real ZeroMQ sockets on 127.0.0.1 to a publisher the test drives. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi, expect } from 'vitest';
import {
  createZeromqKeywordPublisher,
  createZeromqKeywordSource,
  type ZeromqKeywordPublisher,
} from '../../../src/adapters/keyword-sources/zeromq.js';
import { createKeywordTrigger, type KeywordTriggerOptions } from '../../../src/adapters/triggers/keyword.js';
import type { KeywordMessage, KeywordSource } from '../../../src/core/ports/keyword-source.js';
import type { Trigger } from '../../../src/core/ports/trigger.js';
import type { KeywordTriggerInput } from '../../../src/core/instruments/schema.js';
import { recordingSink, type RecordingSink } from '../../../src/testing/index.js';

export const KEY = 'kbds.LOUTFILE';

export interface Rig {
  dir: string;
  publisher: ZeromqKeywordPublisher;
  source: KeywordSource;
  trigger: Trigger;
  sink: RecordingSink;
  /** Writes a small file in the data root (or at `path`) and returns its path. */
  file(name: string, bytes?: number): Promise<string>;
  /** Publishes `value` on `key` once a subscriber is there. */
  publish(value: string | number | boolean | null, key?: string): Promise<void>;
  /** Closes the publisher; with `then`, binds a new one on the same ports holding those current values. */
  restart(then?: { values: ReturnType<ZeromqKeywordPublisher['values']> }): Promise<void>;
  paths(): string[];
  alerts(code: string): string[];
  close(): Promise<void>;
}

/** Starts a publisher, a ZeroMQ source and a started keyword trigger. `keywords` and `options` override the defaults. */
export async function startRig(
  keywords: Partial<KeywordTriggerInput> = {},
  options: Partial<KeywordTriggerOptions> & { values?: KeywordMessage[]; sinkDelayMs?: number } = {},
): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'fits-ingest-kw-'));
  let publisher = createZeromqKeywordPublisher({ endpoint: 'tcp://127.0.0.1:*', requestEndpoint: 'tcp://127.0.0.1:*', values: options.values ?? [] });
  await publisher.bind();
  const source = createZeromqKeywordSource({
    endpoint: publisher.endpoint,
    requestEndpoint: publisher.requestEndpoint!,
    reconnectIntervalMs: 20,
    reconnectMaxIntervalMs: 200,
  });
  const sink = recordingSink(options.sinkDelayMs ?? 0);
  const { values: _values, sinkDelayMs: _delay, ...triggerOptions } = options;
  const trigger = createKeywordTrigger({
    source,
    instrument: { name: 'KCWI', keywordTrigger: { announce: { key: KEY }, roots: [dir], ...keywords } },
    ...triggerOptions,
  });
  await trigger.start(sink);
  const rig: Rig = {
    dir,
    get publisher() {
      return publisher;
    },
    source,
    trigger,
    sink,
    async file(name, bytes = 2880) {
      const path = name.startsWith('/') ? name : join(dir, name);
      await writeFile(path, randomBytes(bytes));
      return path;
    },
    async publish(value, key = KEY) {
      await publisher.waitForSubscriber(key);
      await publisher.publish(key, value);
    },
    async restart(then) {
      const at = { endpoint: publisher.endpoint, requestEndpoint: publisher.requestEndpoint! };
      await publisher.close();
      await vi.waitFor(() => expect(source.state).toBe('disconnected'), { timeout: 5000, interval: 10 });
      if (!then) return;
      publisher = createZeromqKeywordPublisher({ ...at, values: then.values });
      await publisher.bind();
      await vi.waitFor(() => expect(source.state).toBe('connected'), { timeout: 5000, interval: 10 });
    },
    paths: () => sink.items.map((item) => item.path),
    alerts: (code) => sink.alerts.filter((alert) => alert.code === code).map((alert) => alert.message),
    async close() {
      await trigger.stop();
      await publisher.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
