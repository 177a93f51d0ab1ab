/**
 * Keywords over ZeroMQ in the style of Keck's mKTL: a SUB socket receives `[key, {"value","time"}]` publications
 * (topic = dot-separated key) and, when the publisher offers one, a DEALER socket asks its request channel for
 * current values. {@link createZeromqKeywordPublisher} is the other side (the simulator and sites without mKTL
 * use it). The wire format is in docs/keywords.md.
 *
 * - Reconnection: libzmq reconnects a lost connection by itself, waiting `reconnectIntervalMs`, doubling after
 *   each failed attempt up to `reconnectMaxIntervalMs`. ZMTP heartbeats detect a publisher that died without
 *   closing its connection.
 * - `get(key)` asks the publisher when `requestEndpoint` is set (capability `requestReply`); otherwise it returns
 *   the last value this source received. With a request channel the source also primes: after each connection
 *   it delivers the current value of every subscribed key, flagged `initial`.
 * - The `zeromq` package is loaded on the first `connect()`; DEPENDENCY_MISSING if it does not load.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError, toIngestError } from '../../core/errors.js';
import type { KeywordMessage, KeywordSource } from '../../core/ports/keyword-source.js';
import { parseOptions } from '../_shared/options.js';
import { decodePublication, decodeReply, encodeRequest } from './_mktl.js';
import { SourceCore } from './_source-core.js';
import { ENDPOINT, loadZeromq, serialSender } from './_zeromq.js';

export {
  createZeromqKeywordPublisher,
  type ZeromqKeywordPublisher,
  type ZeromqKeywordPublisherOptions,
} from './_zeromq-publisher.js';

/** Name of {@link createZeromqKeywordSource}'s sources. */
export const ZEROMQ_KEYWORD_SOURCE = 'zeromq';

const endpoint = z.string().regex(ENDPOINT, 'expected a ZeroMQ endpoint such as tcp://host:port');

const zeromqKeywordSourceOptionsSchema = z.strictObject({
  /** The publisher's PUB endpoint, e.g. `tcp://kcwiserver:5570`. */
  endpoint,
  /** The publisher's request (ROUTER) endpoint; without it `get()` returns the last value received and there is no priming. @default undefined */
  requestEndpoint: endpoint.optional(),
  /** The source's name. @default 'zeromq' */
  name: z.string().min(1).default(ZEROMQ_KEYWORD_SOURCE),
  /** First wait before reconnecting a lost connection. @default 100 */
  reconnectIntervalMs: z.int().min(1).max(600_000).default(100),
  /** Longest wait between reconnection attempts (the wait doubles up to it). @default 5000 */
  reconnectMaxIntervalMs: z.int().min(1).max(3_600_000).default(5000),
  /** ZMTP heartbeat period (0: no heartbeats). @default 1000 */
  heartbeatIntervalMs: z.int().min(0).max(600_000).default(1000),
  /** A connection whose heartbeats go unanswered this long is dropped and reconnected. @default 3000 */
  heartbeatTimeoutMs: z.int().min(1).max(3_600_000).default(3000),
  /** How long a `get()` waits for the publisher's reply. @default 2000 */
  requestTimeoutMs: z.int().min(1).max(600_000).default(2000),
});

/** Options of {@link createZeromqKeywordSource}. */
export type ZeromqKeywordSourceOptions = z.input<typeof zeromqKeywordSourceOptionsSchema>;

interface Pending {
  resolve(message: KeywordMessage | undefined): void;
  reject(error: IngestError): void;
  timer: NodeJS.Timeout;
}

/**
 * A keyword source subscribed to a ZeroMQ publisher (see the module notes).
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createZeromqKeywordSource(input: ZeromqKeywordSourceOptions): KeywordSource {
  const options = parseOptions(zeromqKeywordSourceOptionsSchema, input, 'the ZeroMQ keyword source');
  const requestReply = options.requestEndpoint !== undefined;
  let sub: import('zeromq').Subscriber | undefined;
  let dealer: import('zeromq').Dealer | undefined;
  let request: ((frames: string[]) => Promise<void>) | undefined;
  let opening: Promise<void> | undefined;
  let connection = 0;
  let nextId = 0;
  const pending = new Map<string, Pending>();

  const core = new SourceCore((keys) => {
    for (const key of keys) sub?.subscribe(key);
    if (core.state === 'connected') prime(keys, connection);
  });

  const unavailable = (detail: string, cause?: unknown) =>
    new IngestError('KEYWORD_SOURCE_UNAVAILABLE', `${options.name} (${options.requestEndpoint ?? options.endpoint}): ${detail}`, {
      context: { endpoint: options.requestEndpoint ?? options.endpoint },
      cause,
    });

  async function get(key: string): Promise<KeywordMessage | undefined> {
    if (core.state === 'closed') throw unavailable('the source is closed');
    if (!request) return core.last(key);
    const id = String(++nextId);
    const reply = new Promise<KeywordMessage | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(unavailable(`no reply to get ${key} within ${options.requestTimeoutMs} ms`));
      }, options.requestTimeoutMs);
      pending.set(id, { resolve, reject, timer });
    });
    request([encodeRequest(id, key)]).catch((error: unknown) => {
      const waiting = pending.get(id);
      pending.delete(id);
      if (waiting) clearTimeout(waiting.timer);
      waiting?.reject(unavailable(`cannot send get ${key}: ${(error as Error).message}`, error));
    });
    return reply;
  }

  /**
   * Delivers the current values of `keys` as `initial`, all together and in the order of `keys` (so a path built
   * from several keys sees all of them), unless the connection changed meanwhile.
   */
  function prime(keys: readonly string[], at: number): void {
    if (!requestReply) return;
    void Promise.allSettled(keys.map((key) => get(key))).then((results) => {
      if (at !== connection || core.state !== 'connected') return;
      results.forEach((result, i) => {
        if (result.status === 'rejected') core.problem(toIngestError(result.reason), keys[i]);
        else if (result.value) core.deliver({ ...result.value, initial: true });
      });
    });
  }

  async function receive(socket: import('zeromq').Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        let message: KeywordMessage;
        try {
          message = decodePublication(frames, Date.now());
        } catch (error) {
          const key = frames[0] ? Buffer.from(frames[0]).toString('utf8') : undefined;
          if (key === undefined || core.has(key)) core.problem(toIngestError(error), key);
          continue;
        }
        // Subscriptions match prefixes: kcwi.kbds.LASTFILE also receives kcwi.kbds.LASTFILE2.
        if (core.has(message.key)) core.deliver(message);
      }
    } catch (error) {
      if (!socket.closed) core.problem(unavailable(`receiving failed: ${(error as Error).message}`, error));
    }
  }

  async function answers(socket: import('zeromq').Dealer): Promise<void> {
    try {
      for await (const [frame] of socket) {
        if (!frame) continue;
        let reply: ReturnType<typeof decodeReply>;
        try {
          reply = decodeReply(frame, Date.now());
        } catch (error) {
          core.problem(toIngestError(error));
          continue;
        }
        const waiting = pending.get(reply.id);
        if (!waiting) continue; // late: it timed out, or was asked on an earlier connection
        pending.delete(reply.id);
        clearTimeout(waiting.timer);
        waiting.resolve(reply.message);
      }
    } catch {
      // closed
    }
  }

  async function open(): Promise<void> {
    const zmq = await loadZeromq();
    if (core.state === 'closed') return;
    const socketOptions = {
      linger: 0,
      reconnectInterval: options.reconnectIntervalMs,
      reconnectMaxInterval: options.reconnectMaxIntervalMs,
      ...(options.heartbeatIntervalMs > 0
        ? { heartbeatInterval: options.heartbeatIntervalMs, heartbeatTimeout: options.heartbeatTimeoutMs }
        : {}),
    };
    try {
      sub = new zmq.Subscriber(socketOptions);
      sub.events.on('handshake', () => {
        connection++;
        core.setState('connected');
        prime(core.keys(), connection);
      });
      sub.events.on('disconnect', () => {
        connection++;
        core.setState('disconnected');
      });
      for (const key of core.keys()) sub.subscribe(key);
      sub.connect(options.endpoint);
      if (options.requestEndpoint) {
        dealer = new zmq.Dealer({ ...socketOptions, sendTimeout: options.requestTimeoutMs });
        dealer.connect(options.requestEndpoint);
        request = serialSender(dealer);
        void answers(dealer);
      }
    } catch (error) {
      sub?.close();
      dealer?.close();
      throw unavailable(`cannot connect: ${(error as Error).message}`, error);
    }
    void receive(sub);
  }

  return {
    name: options.name,
    capabilities: { primes: requestReply, requestReply, reconnects: true },
    get state() {
      return core.state;
    },
    async connect() {
      if (core.state === 'closed') throw unavailable('the source is closed');
      opening ??= open().catch((error: unknown) => {
        opening = undefined;
        throw error;
      });
      await opening;
    },
    subscribe: (keys, listener) => core.subscribe(keys, listener),
    get,
    onStateChange: (listener) => core.onStateChange(listener),
    async close() {
      core.setState('closed');
      await opening?.catch(() => {});
      sub?.close();
      dealer?.close();
      for (const [id, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(unavailable('the source was closed'));
        pending.delete(id);
      }
    },
  };
}
