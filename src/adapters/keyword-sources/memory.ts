/**
 * An in-memory keyword bus and source, for tests and embedded simulations: {@link createMemoryKeywordBus} is the
 * publisher (the instrument's keyword service), {@link createMemoryKeywordSource} a subscriber of it. The link
 * can be cut and restored to exercise reconnection.
 *
 * @example
 * ```ts
 * const bus = createMemoryKeywordBus()
 * const source = createMemoryKeywordSource({ bus })
 * bus.publish('kcwi.kbds.LASTFILE', '/sdata/kcwi/kb230101_0001.fits')
 * ```
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { KeywordMessage, KeywordSource, KeywordValue } from '../../core/ports/keyword-source.js';
import { parseOptions } from '../_shared/options.js';
import { SourceCore } from './_source-core.js';

/** Name of {@link createMemoryKeywordSource}'s sources. */
export const MEMORY_KEYWORD_SOURCE = 'memory';

/** The publishing side: holds the current value of every key and delivers publications to connected sources. */
export interface MemoryKeywordBus {
  /** Sets `key` to `value` (at `time`, epoch ms; default now) and delivers it to every connected source. */
  publish(key: string, value: KeywordValue, time?: number): KeywordMessage;
  /** The current value of `key`. */
  current(key: string): KeywordMessage | undefined;
  /** False while the link is cut. */
  readonly available: boolean;
  /**
   * Cuts (`false`) or restores (`true`) the link. Cutting disconnects every source; while cut, `connect()`
   * rejects with KEYWORD_SOURCE_UNAVAILABLE and publications reach nobody.
   */
  setAvailable(available: boolean): void;
}

interface Attachment {
  deliver(message: KeywordMessage): void;
  drop(): void;
}

/** How sources attach to a bus; kept out of the bus's public shape. */
const attachers = new WeakMap<MemoryKeywordBus, (a: Attachment) => () => void>();

/** Creates an in-memory keyword bus. */
export function createMemoryKeywordBus(): MemoryKeywordBus {
  const values = new Map<string, KeywordMessage>();
  const attached = new Set<Attachment>();
  let available = true;
  const bus: MemoryKeywordBus = {
    publish(key, value, time = Date.now()) {
      const message: KeywordMessage = { key, value, time };
      values.set(key, message);
      if (available) for (const a of attached) queueMicrotask(() => a.deliver(message));
      return message;
    },
    current: (key) => values.get(key),
    get available() {
      return available;
    },
    setAvailable(next) {
      available = next;
      if (!next) for (const a of [...attached]) a.drop();
    },
  };
  attachers.set(bus, (a) => {
    attached.add(a);
    return () => attached.delete(a);
  });
  return bus;
}

const memoryKeywordSourceOptionsSchema = z.strictObject({
  /** The bus to subscribe to (from {@link createMemoryKeywordBus}). */
  bus: z.custom<MemoryKeywordBus>(
    (value) => typeof value === 'object' && value !== null && attachers.has(value as MemoryKeywordBus),
    'expected a bus made by createMemoryKeywordBus()',
  ),
  /** The source's name. @default 'memory' */
  name: z.string().min(1).default(MEMORY_KEYWORD_SOURCE),
});

/** Options of {@link createMemoryKeywordSource}. */
export type MemoryKeywordSourceOptions = z.input<typeof memoryKeywordSourceOptionsSchema>;

function unavailable(detail: string): IngestError {
  return new IngestError('KEYWORD_SOURCE_UNAVAILABLE', detail);
}

/**
 * A source subscribed to an in-memory bus. It primes (delivers the current values, flagged `initial`, after each
 * connection and to each new subscription), answers `get()` from the bus, and does not reconnect by itself: after
 * the link is cut, `connect()` must be called again (the keyword trigger does, with backoff).
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createMemoryKeywordSource(input: MemoryKeywordSourceOptions): KeywordSource {
  const options = parseOptions(memoryKeywordSourceOptionsSchema, input, 'the memory keyword source');
  const { bus } = options;
  const attach = attachers.get(bus)!;
  let detach: (() => void) | undefined;
  const prime = (keys: readonly string[]): void => {
    const current = keys.map((key) => bus.current(key)).filter((m) => m !== undefined);
    queueMicrotask(() => {
      for (const message of current) if (detach) core.deliver({ ...message, initial: true });
    });
  };
  const core = new SourceCore((keys) => {
    if (detach) prime(keys);
  });
  const attachment: Attachment = {
    deliver: (message) => {
      if (detach) core.deliver(message);
    },
    drop: () => {
      detach?.();
      detach = undefined;
      core.setState('disconnected');
    },
  };

  return {
    name: options.name,
    capabilities: { primes: true, requestReply: true, reconnects: false },
    get state() {
      return core.state;
    },
    async connect() {
      if (core.state === 'closed') throw unavailable(`the keyword source "${options.name}" is closed`);
      if (detach) return;
      if (!bus.available) {
        core.setState('disconnected');
        throw unavailable(`the in-memory keyword bus of "${options.name}" is unavailable`);
      }
      detach = attach(attachment);
      core.setState('connected');
      prime(core.keys());
    },
    subscribe: (keys, listener) => core.subscribe(keys, listener),
    async get(key) {
      if (!detach) throw unavailable(`the keyword source "${options.name}" is not connected`);
      return bus.current(key);
    },
    onStateChange: (listener) => core.onStateChange(listener),
    async close() {
      detach?.();
      detach = undefined;
      core.setState('closed');
    },
  };
}
