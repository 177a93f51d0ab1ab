/**
 * The publishing side of the ZeroMQ keyword adapter: an XPUB socket that publishes `[key, {"value","time"}]` and
 * counts subscriptions, and an optional ROUTER socket answering `get` requests with current values. The
 * instrument simulator uses it; so can a site's acquisition software that has no mKTL. Exported from
 * `fits-ingest/keyword-sources/zeromq`.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { KeywordMessage, KeywordValue } from '../../core/ports/keyword-source.js';
import { parseOptions } from '../_shared/options.js';
import { decodeRequest, encodePublication, encodeReply } from './_mktl.js';
import { ENDPOINT, loadZeromq, serialSender } from './_zeromq.js';

const endpoint = z.string().regex(ENDPOINT, 'expected a ZeroMQ endpoint such as tcp://127.0.0.1:5570 (port * picks a free one)');

const publisherOptionsSchema = z.strictObject({
  /** Where to bind the PUB (XPUB) socket; `tcp://127.0.0.1:*` binds a free port (see `endpoint` after `bind()`). */
  endpoint,
  /** Where to bind the request (ROUTER) socket answering `get`; none when undefined. @default undefined */
  requestEndpoint: endpoint.optional(),
  /** Current values to start with (a restarted publisher that kept its state). @default [] */
  values: z.array(z.custom<KeywordMessage>((m) => typeof (m as KeywordMessage | undefined)?.key === 'string')).default([]),
});

/** Options of {@link createZeromqKeywordPublisher}. */
export type ZeromqKeywordPublisherOptions = z.input<typeof publisherOptionsSchema>;

/** A ZeroMQ keyword publisher. */
export interface ZeromqKeywordPublisher {
  /** Binds the sockets. Rejects KEYWORD_SOURCE_UNAVAILABLE when an endpoint cannot be bound (in use…). */
  bind(): Promise<void>;
  /** The bound PUB endpoint, with the real port (after `bind()`). */
  readonly endpoint: string;
  /** The bound request endpoint, when there is one. */
  readonly requestEndpoint: string | undefined;
  /** Sets `key` to `value` (at `time`, epoch ms; default now) and publishes it. */
  publish(key: string, value: KeywordValue, time?: number): Promise<KeywordMessage>;
  /** The current value of `key`. */
  current(key: string): KeywordMessage | undefined;
  /** Every current value (to start a restarted publisher with). */
  values(): KeywordMessage[];
  /** Resolves once some subscriber's subscription covers `key`; rejects after `timeoutMs`. */
  waitForSubscriber(key: string, timeoutMs?: number): Promise<void>;
  /** Closes the sockets (subscribers see the connection drop). Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a publisher; call `bind()` before publishing.
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createZeromqKeywordPublisher(input: ZeromqKeywordPublisherOptions): ZeromqKeywordPublisher {
  const options = parseOptions(publisherOptionsSchema, input, 'the ZeroMQ keyword publisher');
  const current = new Map(options.values.map((m) => [m.key, { key: m.key, value: m.value, time: m.time }]));
  const subscriptions = new Map<string, number>();
  const waiters = new Set<() => void>();
  let pub: import('zeromq').XPublisher | undefined;
  let router: import('zeromq').Router | undefined;
  let send: ((frames: string[]) => Promise<void>) | undefined;
  let reply: ((frames: (string | Uint8Array)[]) => Promise<void>) | undefined;
  let bound = { endpoint: options.endpoint, requestEndpoint: options.requestEndpoint };
  let closed = false;

  const covered = (key: string) => [...subscriptions].some(([prefix, n]) => n > 0 && key.startsWith(prefix));

  async function watchSubscriptions(socket: import('zeromq').XPublisher): Promise<void> {
    try {
      for await (const [frame] of socket) {
        if (!frame || frame.length === 0) continue;
        const topic = Buffer.from(frame.subarray(1)).toString('utf8');
        subscriptions.set(topic, Math.max(0, (subscriptions.get(topic) ?? 0) + (frame[0] === 1 ? 1 : -1)));
        for (const wake of [...waiters]) wake();
      }
    } catch {
      // closed
    }
  }

  async function answer(socket: import('zeromq').Router): Promise<void> {
    try {
      for await (const [identity, frame] of socket) {
        const request = frame ? decodeRequest(frame) : undefined;
        if (!identity || !request) continue;
        await reply!([identity, encodeReply(request.id, request.key, current.get(request.key))]).catch(() => {});
      }
    } catch {
      // closed
    }
  }

  return {
    get endpoint() {
      return bound.endpoint;
    },
    get requestEndpoint() {
      return bound.requestEndpoint;
    },
    async bind() {
      const zmq = await loadZeromq();
      try {
        pub = new zmq.XPublisher({ linger: 0, sendHighWaterMark: 100_000 });
        pub.verbosity = 'allSubsUnsubs';
        await pub.bind(options.endpoint);
        send = serialSender(pub);
        void watchSubscriptions(pub);
        if (options.requestEndpoint) {
          router = new zmq.Router({ linger: 0 });
          await router.bind(options.requestEndpoint);
          reply = serialSender(router);
          void answer(router);
        }
      } catch (error) {
        pub?.close();
        router?.close();
        throw new IngestError('KEYWORD_SOURCE_UNAVAILABLE', `cannot bind the keyword publisher: ${(error as Error).message}`, {
          context: { endpoint: options.endpoint },
          cause: error,
          hint: 'pick a free port (or * for any) and an address of this machine',
        });
      }
      bound = { endpoint: pub.lastEndpoint ?? options.endpoint, requestEndpoint: router?.lastEndpoint ?? undefined };
    },
    async publish(key, value, time = Date.now()) {
      if (!send || closed) throw new IngestError('KEYWORD_SOURCE_UNAVAILABLE', 'the keyword publisher is not bound (call bind()) or is closed');
      const message = { key, value, time };
      current.set(key, message);
      await send(encodePublication(key, value, time));
      return message;
    },
    current: (key) => current.get(key),
    values: () => [...current.values()],
    async waitForSubscriber(key, timeoutMs = 5000) {
      if (covered(key)) return;
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          if (!covered(key)) return;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new IngestError('TIMEOUT', `no subscriber for ${key} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    async close() {
      closed = true;
      pub?.close();
      router?.close();
    },
  };
}
