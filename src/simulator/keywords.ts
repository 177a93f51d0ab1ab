/**
 * The instrument's keyword service, simulated: a ZeroMQ publisher in the style of Keck's mKTL that announces each
 * frame the simulated instrument finishes writing on its camera's LOUTFILE key (the keys of the shipped KCWI
 * description), answers `get` requests, and ticks heartbeat counters. `fits-ingest demo --trigger keyword` and the
 * keyword benchmark use it.
 *
 * @example
 * ```ts
 * const keywords = await startInstrumentKeywords()
 * await runNight(plan, { dir, onWritten: (file, path) => keywords.announce(file, path) })
 * await keywords.close()
 * ```
 *
 * @module
 */
import { createZeromqKeywordPublisher, type ZeromqKeywordPublisher } from '../adapters/keyword-sources/zeromq.js';
import type { PlannedFile } from './night.js';

/** Options of {@link startInstrumentKeywords}. */
export interface InstrumentKeywordsOptions {
  /** PUB endpoint to bind. @default 'tcp://127.0.0.1:*' (a free port) */
  endpoint?: string;
  /** Request endpoint to bind (answers `get`). @default 'tcp://127.0.0.1:*' */
  requestEndpoint?: string;
  /** The key announcing a camera's frames. @default { BLUE: 'kbds.LOUTFILE', RED: 'krds.LOUTFILE' } */
  announceKeys?: Record<PlannedFile['camera'], string>;
  /**
   * Counters published every `intervalMs` (0: none), like KTL's ITERATION keys.
   * @default { keys: ['kbds.ITERATION', 'kfcs.ITERATION'], intervalMs: 1000 }
   */
  heartbeat?: { keys: string[]; intervalMs: number };
}

/** A running simulated keyword service. */
export interface InstrumentKeywords {
  /** Where subscribers connect. */
  readonly endpoint: string;
  readonly requestEndpoint: string;
  readonly publisher: ZeromqKeywordPublisher;
  /** Publishes `path` on the key of `file`'s camera (call it once the file is completely written). */
  announce(file: Pick<PlannedFile, 'camera'>, path: string): Promise<void>;
  /** Stops the heartbeat and closes the sockets. */
  close(): Promise<void>;
}

/** The keys {@link startInstrumentKeywords} announces on by default (those of the shipped KCWI description). */
export const SIMULATED_ANNOUNCE_KEYS: Record<PlannedFile['camera'], string> = { BLUE: 'kbds.LOUTFILE', RED: 'krds.LOUTFILE' };

/**
 * Binds the simulated keyword service. Rejects KEYWORD_SOURCE_UNAVAILABLE when an endpoint cannot be bound and
 * DEPENDENCY_MISSING without the `zeromq` package.
 */
export async function startInstrumentKeywords(options: InstrumentKeywordsOptions = {}): Promise<InstrumentKeywords> {
  const keys = options.announceKeys ?? SIMULATED_ANNOUNCE_KEYS;
  const heartbeat = options.heartbeat ?? { keys: ['kbds.ITERATION', 'kfcs.ITERATION'], intervalMs: 1000 };
  const publisher = createZeromqKeywordPublisher({
    endpoint: options.endpoint ?? 'tcp://127.0.0.1:*',
    requestEndpoint: options.requestEndpoint ?? 'tcp://127.0.0.1:*',
  });
  await publisher.bind();
  let iteration = 0;
  const timer =
    heartbeat.intervalMs > 0
      ? setInterval(() => {
          iteration++;
          for (const key of heartbeat.keys) void publisher.publish(key, iteration).catch(() => {});
        }, heartbeat.intervalMs)
      : undefined;
  timer?.unref();
  return {
    endpoint: publisher.endpoint,
    requestEndpoint: publisher.requestEndpoint!,
    publisher,
    async announce(file, path) {
      await publisher.publish(keys[file.camera], path);
    },
    async close() {
      clearInterval(timer);
      await publisher.close();
    },
  };
}
