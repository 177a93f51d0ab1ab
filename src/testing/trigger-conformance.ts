/**
 * The conformance suite of the Trigger port: what every trigger (filesystem, keyword monitor, mail, a
 * third-party one) must do, in the style of keyv's `storageTestSuite`. It receives `it` and `expect` from the
 * caller's test runner, so it imports no test framework.
 *
 * @example
 * ```ts
 * import { it, expect } from 'vitest';
 * import { triggerConformance } from 'fits-ingest/testing';
 *
 * triggerConformance({ it, expect }, async () => { // or pass the vitest module: triggerConformance(vitest, …)
 *   const dir = await mkdtemp(join(tmpdir(), 'watch-'));
 *   return {
 *     trigger: createFilesystemTrigger({ paths: [dir], maxConcurrentSubmits: 4 }),
 *     maxConcurrentSubmits: 4,
 *     produce: async (name) => { ...write dir/name...; return join(dir, name) },
 *     teardown: () => rm(dir, { recursive: true, force: true }),
 *   };
 * });
 * ```
 *
 * @module
 */
import type { Trigger, TriggerAlert, TriggerSink, WorkItem } from '../core/ports/trigger.js';

/** A test-registering function, like vitest's or jest's `it`. */
export interface AdapterSuiteIt {
  (name: string, fn: () => Promise<void>, timeout?: number): void;
  skip(name: string, fn: () => Promise<void>): void;
}

/** The matchers the conformance suites use (a subset of vitest's and jest's `expect`). */
export interface AdapterSuiteAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeLessThanOrEqual(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toBeUndefined(): void;
}

/** An `expect` function, like vitest's or jest's. */
export type AdapterSuiteExpect = (actual: unknown) => AdapterSuiteAssertion;

/** What a conformance suite receives from the caller's test runner. */
export interface AdapterSuiteRunner {
  it: AdapterSuiteIt;
  expect: AdapterSuiteExpect;
}

/** One fresh trigger and the means to make it announce files; returned by the setup of each test. */
export interface TriggerHarness {
  /** A trigger that has not been started. */
  trigger: Trigger;
  /**
   * Makes the trigger's source present a new, complete file called `name` (write it, broadcast its keyword,
   * mail its announcement…) and returns the path the trigger will announce.
   */
  produce(name: string): Promise<string>;
  /**
   * Makes the source signal an already produced file again without changing it (a repeated broadcast, a
   * metadata-only change). Optional: without it the duplicate test only checks that one production gives one
   * announcement.
   */
  repeat?(path: string): Promise<void>;
  /** Breaks the trigger's connection to its source (only for triggers that have one). */
  disconnect?(): Promise<void>;
  /** Restores the connection broken by `disconnect`. */
  reconnect?(): Promise<void>;
  /** The trigger's configured bound on concurrent `submit` calls. */
  maxConcurrentSubmits: number;
  /** Removes what the setup made. The suite stops the trigger itself first. */
  teardown(): Promise<void>;
}

/** Options of {@link triggerConformance}. */
export interface TriggerConformanceOptions {
  /** Run the reconnect test (the harness provides `disconnect` and `reconnect`); it is skipped otherwise. @default false */
  reconnect?: boolean;
  /** How long a produced file may take to be announced. @default 5000 */
  announceTimeoutMs?: number;
  /** How long the suite watches for unwanted announcements (duplicates, submits after stop). @default 1000 */
  quietMs?: number;
}

/** A sink that records what it receives, optionally slow, counting concurrent submits. */
export interface RecordingSink extends TriggerSink {
  items: WorkItem[];
  alerts: TriggerAlert[];
  inFlight: number;
  maxInFlight: number;
}

/** Creates a {@link RecordingSink} whose `submit` takes `delayMs`. */
export function recordingSink(delayMs = 0): RecordingSink {
  const sink: RecordingSink = {
    items: [],
    alerts: [],
    inFlight: 0,
    maxInFlight: 0,
    async submit(item) {
      sink.inFlight++;
      sink.maxInFlight = Math.max(sink.maxInFlight, sink.inFlight);
      try {
        if (delayMs > 0) await sleep(delayMs);
        sink.items.push(item);
      } finally {
        sink.inFlight--;
      }
    },
    alert(alert) {
      sink.alerts.push(alert);
    },
  };
  return sink;
}

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; rejects with an Error naming `what` after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function firstAnnouncements(items: readonly WorkItem[]): string[] {
  return [...new Set(items.map((item) => item.path))];
}

/**
 * Registers the Trigger conformance tests with `runner.it`. `setup` is called once per test and must return a
 * fresh, unstarted trigger. Tests: start/stop, no duplicates, ordering, back-pressure, and (when
 * `options.reconnect`) reconnection — otherwise registered with `it.skip`.
 */
export function triggerConformance(
  runner: AdapterSuiteRunner,
  setup: () => Promise<TriggerHarness>,
  options: TriggerConformanceOptions = {},
): void {
  const { it, expect } = runner;
  const announceMs = options.announceTimeoutMs ?? 5000;
  const quietMs = options.quietMs ?? 1000;
  const budget = (extraMs: number) => announceMs + quietMs + extraMs + 10_000;

  const withTrigger = (fn: (h: TriggerHarness, sink: RecordingSink) => Promise<void>, sink = recordingSink()) => {
    return async () => {
      const harness = await setup();
      try {
        await harness.trigger.start(sink);
        await fn(harness, sink);
      } finally {
        await harness.trigger.stop();
        await harness.teardown();
      }
    };
  };
  const announced = (sink: RecordingSink, path: string) => () => sink.items.some((item) => item.path === path);

  it(
    'trigger conformance: announces a produced file; start() twice rejects; stop() is idempotent and final',
    withTrigger(async (harness, sink) => {
      const { trigger } = harness;
      const first = await harness.produce('conformance-start-1.fits');
      await waitFor(announced(sink, first), announceMs, `the announcement of ${first}`);
      const item = sink.items.find((i) => i.path === first)!;
      expect(item.trigger).toBe(trigger.name);
      expect(typeof item.detectedAt).toBe('number');

      let startError: unknown;
      await trigger.start(recordingSink()).catch((error: unknown) => (startError = error));
      expect(startError instanceof Error).toBe(true);

      await trigger.stop();
      expect(sink.inFlight).toBe(0);
      await trigger.stop();
      const count = sink.items.length;
      await harness.produce('conformance-start-2.fits');
      await sleep(quietMs);
      expect(sink.items.length).toBe(count);
    }),
    budget(0),
  );

  it(
    'trigger conformance: a file produced once is announced once, even when signalled again',
    withTrigger(async (harness, sink) => {
      const path = await harness.produce('conformance-dup.fits');
      await waitFor(announced(sink, path), announceMs, `the announcement of ${path}`);
      for (let i = 0; i < 3 && harness.repeat; i++) {
        await harness.repeat(path);
        await sleep(100);
      }
      await sleep(quietMs);
      expect(sink.items.filter((item) => item.path === path).length).toBe(1);
    }),
    budget(500),
  );

  it(
    'trigger conformance: files produced at least 50 ms apart are announced in that order',
    withTrigger(async (harness, sink) => {
      const paths: string[] = [];
      for (let i = 0; i < 5; i++) {
        paths.push(await harness.produce(`conformance-order-${i}.fits`));
        await sleep(60);
      }
      await waitFor(() => paths.every((p) => announced(sink, p)()), announceMs, 'five announcements');
      expect(firstAnnouncements(sink.items).filter((p) => paths.includes(p))).toEqual(paths);
    }),
    budget(500),
  );

  it(
    'trigger conformance: a slow sink gets a bounded number of concurrent submits and loses nothing',
    async () => {
      const sink = recordingSink(50);
      await withTrigger(async (harness) => {
        const paths: string[] = [];
        for (let i = 0; i < 50; i++) paths.push(await harness.produce(`conformance-burst-${String(i).padStart(3, '0')}.fits`));
        const all = () => paths.every((p) => sink.items.some((item) => item.path === p));
        await waitFor(all, announceMs + 50 * 50, 'all 50 announcements');
        expect(sink.maxInFlight).toBeGreaterThanOrEqual(1);
        expect(sink.maxInFlight).toBeLessThanOrEqual(harness.maxConcurrentSubmits);
      }, sink)();
    },
    budget(50 * 50),
  );

  const reconnectName = 'trigger conformance: files produced after a reconnection are announced';
  if (!options.reconnect) {
    it.skip(`${reconnectName} (skipped: the trigger does not declare reconnect: true)`, async () => {});
    return;
  }
  it(
    reconnectName,
    withTrigger(async (harness, sink) => {
      if (!harness.disconnect || !harness.reconnect) {
        throw new Error('options.reconnect is set but the harness has no disconnect() and reconnect()');
      }
      const before = await harness.produce('conformance-reconnect-1.fits');
      await waitFor(announced(sink, before), announceMs, `the announcement of ${before}`);
      await harness.disconnect();
      await harness.reconnect();
      const after = await harness.produce('conformance-reconnect-2.fits');
      await waitFor(announced(sink, after), announceMs, `the announcement of ${after} after reconnecting`);
    }),
    budget(0),
  );
}
