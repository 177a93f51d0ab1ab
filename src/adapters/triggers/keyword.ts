/**
 * The keyword-monitor trigger: files announced by the observatory's control system, as Keck's real-time
 * ingestion does with KTL keywords (seed papers 000 and 001). The instrument description's `keywordTrigger`
 * section says which keys announce a file; a {@link KeywordSource} (ZeroMQ, in memory) delivers them.
 *
 * The control system announces a file once it is closed, so every item has `complete: true`
 * (`capabilities.announcesComplete`): the runtime skips its quiet wait and only checks the FITS structure.
 * See docs/keywords.md.
 *
 * @module
 */
import { z } from 'zod';
import { startStop } from '../../core/runtime/once.js';
import type { KeywordSource } from '../../core/ports/keyword-source.js';
import type { Trigger, TriggerSink } from '../../core/ports/trigger.js';
import { keywordTriggerSchema } from '../../core/instruments/keyword-trigger.js';
import type { KeywordTriggerInput } from '../../core/instruments/schema.js';
import { parseOptions } from '../_shared/options.js';
import { KeywordMonitor } from './_keyword-monitor.js';
import { DataRoots } from './_data-roots.js';
import { SubmitQueue } from './_submit-queue.js';

/** Name of {@link createKeywordTrigger}'s triggers. */
export const KEYWORD_TRIGGER = 'keyword';

const isSource = (value: unknown): value is KeywordSource =>
  typeof value === 'object' &&
  value !== null &&
  ['connect', 'subscribe', 'get', 'onStateChange', 'close'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function');

const keywordTriggerOptionsSchema = z
  .strictObject({
    /** Where the keywords come from. The trigger connects it on start and closes it on stop. */
    source: z.custom<KeywordSource>(isSource, 'expected a KeywordSource (createZeromqKeywordSource, createMemoryKeywordSource…)'),
    /**
     * The instrument whose `keywordTrigger` section configures the monitor (a description from
     * `builtinInstrument()` or `loadInstrumentFile()`); its name is stamped on every item.
     */
    instrument: z.looseObject({ name: z.string().min(1), keywordTrigger: keywordTriggerSchema.optional() }),
    /** Replaces `keywordTrigger.roots`: this deployment's data directories (relative paths: from the working directory). @default undefined */
    roots: z.array(z.string().min(1)).min(1).optional(),
    /** The trigger's name, on every item and alert. @default 'keyword' */
    name: z.string().min(1).default(KEYWORD_TRIGGER),
    /** Processing level stamped on every item (a pipeline's products: 1 or 2). @default undefined (0) */
    level: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    /** Submits in flight at most; further announcements wait in the queue. @default 4 */
    maxConcurrentSubmits: z.int().min(1).max(1000).default(4),
    /** Queued announcements past which a QUEUE_BACKLOG alert is raised. @default 10000 */
    maxQueue: z.int().min(1).default(10_000),
    /** Backoff of reconnection, for sources that do not reconnect by themselves (`capabilities.reconnects`). */
    reconnect: z
      .strictObject({
        /** Wait before the first attempt; doubled after each failure (with jitter). @default 100 */
        initialDelayMs: z.int().min(1).default(100),
        /** Longest wait between attempts. @default 5000 */
        maxDelayMs: z.int().min(1).default(5000),
      })
      .prefault({}),
    /** How long `start()` waits for the first connection; after that it resolves, alerts, and keeps trying. @default 2000 */
    startTimeoutMs: z.int().min(0).max(600_000).default(2000),
    /** Paths whose last announced state is remembered against repeats (oldest forgotten first). @default 10000 */
    seenLimit: z.int().min(1).default(10_000),
  })
  .superRefine((o, ctx) => {
    if (!o.instrument.keywordTrigger) {
      ctx.addIssue({ code: 'custom', path: ['instrument', 'keywordTrigger'], message: `instrument ${o.instrument.name} has no keywordTrigger section` });
    }
  });

/** Options of {@link createKeywordTrigger}. */
export type KeywordTriggerOptions = Omit<z.input<typeof keywordTriggerOptionsSchema>, 'instrument'> & {
  instrument: { name: string; keywordTrigger?: KeywordTriggerInput | undefined };
};

/**
 * A trigger announcing the files a control system's keywords announce (see docs/keywords.md):
 *
 * - First broadcast: the value current when the monitor first connects (a source that `primes` delivers it,
 *   flagged `initial`) was announced before the monitor ran; with `skipFirstBroadcast` it is not ingested. After
 *   a reconnection, the current value is ingested only if it changed while disconnected (KEYWORD_GAP alert:
 *   announcements in between were missed).
 * - Repeats: a path already announced with the same inode, size and mtime is not announced again.
 * - A file announced before it is visible is looked for `missingFile.retries` times, `missingFile.delayMs` apart
 *   (KOA: 5 × 0.25 s); if it stays missing it is alerted (KEYWORD_FILE_MISSING) and submitted anyway, so the
 *   runtime records it and keeps looking.
 * - Paths that are not files under `roots` (as written and with symlinks resolved) are alerted
 *   (KEYWORD_PATH_REJECTED), never submitted.
 * - A `heartbeat` key silent for `staleAfterMs` raises one KEYWORD_HEARTBEAT_STALE alert per silence.
 * - A lost connection raises KEYWORD_SOURCE_UNAVAILABLE; sources that do not reconnect by themselves are
 *   reconnected with exponential backoff and jitter.
 * - Items: `complete: true`, `instrument`, `metadata.keyword` (the announcing key) and `metadata.keywordTime`.
 *
 * `start()` rejects ALREADY_STARTED the second time, and DEPENDENCY_MISSING when the source cannot load.
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong or the instrument has no `keywordTrigger`.
 */
export function createKeywordTrigger(input: KeywordTriggerOptions): Trigger {
  const options = parseOptions(keywordTriggerOptionsSchema, input, 'the keyword trigger');
  const keywords = options.instrument.keywordTrigger!;
  const roots = new DataRoots(options.roots ?? keywords.roots);
  let monitor: KeywordMonitor | undefined;
  const lifecycle = startStop({
    name: `trigger "${options.name}"`,
    interruptStart: true,
    async start(sink: TriggerSink) {
      const queue = new SubmitQueue({ sink, trigger: options.name, concurrency: options.maxConcurrentSubmits, backlogAlert: options.maxQueue });
      monitor = new KeywordMonitor(
        {
          name: options.name,
          instrument: options.instrument.name,
          level: options.level,
          source: options.source,
          keywords,
          roots,
          reconnect: options.reconnect,
          startTimeoutMs: options.startTimeoutMs,
          seenLimit: options.seenLimit,
        },
        sink,
        queue,
      );
      await monitor.start();
    },
    async stop() {
      const stopping = monitor;
      monitor = undefined;
      await stopping?.stop();
    },
  });
  return { name: options.name, capabilities: { continuous: true, announcesComplete: true }, start: lifecycle.start, stop: lifecycle.stop };
}
