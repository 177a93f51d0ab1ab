/**
 * The conformance suite of the Notifier port: what every notifier (mail, webhook, a third-party chat one) must
 * do. Like the other suites it receives `it` and `expect` from the caller's test runner.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest';
 * import { notifierConformance } from 'fits-ingest/testing';
 *
 * notifierConformance(vitest, async () => {
 *   const server = await startRecordingServer();
 *   return {
 *     notifier: createWebhookNotifier({ url: server.url }),
 *     received: async () => server.bodies.map((b) => JSON.parse(b)),
 *     refuse: async () => { server.status = 400 },
 *     teardown: () => server.close(),
 *   };
 * });
 * ```
 *
 * @module
 */
import type { Notification, Notifier } from '../core/ports/notifier.js';
import type { AdapterSuiteRunner } from './trigger-conformance.js';

/** A notification as the destination got it. */
export interface ReceivedNotification {
  kind?: string;
  to: string[];
  subject: string;
  text: string;
}

/** One fresh notifier and a view of its destination; returned by the setup of each test. */
export interface NotifierHarness {
  notifier: Notifier;
  /** What the destination has received so far, oldest first. */
  received(): Promise<ReceivedNotification[]>;
  /** Makes the destination refuse every later delivery for good (a 5xx mail reply, a 4xx HTTP status). */
  refuse?(): Promise<void>;
  /** Removes what the setup made. The suite closes the notifier itself first. */
  teardown(): Promise<void>;
}

/** A notification for the suite. */
export function sampleNotification(n: number, to: string[] = ['pi@example.org']): Notification {
  return {
    kind: n % 2 === 0 ? 'first-frame' : 'file-invalid',
    to,
    subject: `conformance ${n}: KB.20261120.${String(30675 + n).padStart(5, '0')}.05`,
    text: `line one of ${n}\nline two of ${n}: ünïcödé ✓\n`,
    data: { n, archiveId: `KB.20261120.${30675 + n}.05`, ok: true, none: null },
    at: 1_795_000_000_000 + n,
  };
}

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function settle(harness: NotifierHarness, count: number, timeoutMs: number): Promise<ReceivedNotification[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await harness.received();
    if (got.length >= count || Date.now() > deadline) return got;
    await sleep(10);
  }
}

/** Options of {@link notifierConformance}. */
export interface NotifierConformanceOptions {
  /** How long a delivery may take to show at the destination. @default 10000 */
  timeoutMs?: number;
  /** Run the refusal test (the harness provides `refuse`); registered with `it.skip` when false. @default true */
  refuse?: boolean;
}

/**
 * Registers the Notifier conformance tests with `runner.it`: delivery of subject, text, kind and recipients;
 * concurrent sends; refusals as typed errors (registered with `it.skip` when `options.refuse` is false);
 * addressed notifiers refuse a notification without recipient instead of dropping it; `close` idempotent.
 */
export function notifierConformance(runner: AdapterSuiteRunner, setup: () => Promise<NotifierHarness>, options: NotifierConformanceOptions = {}): void {
  const { it, expect } = runner;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const withNotifier = (fn: (h: NotifierHarness) => Promise<void>) => async () => {
    const harness = await setup();
    try {
      await fn(harness);
    } finally {
      await harness.notifier.close?.();
      await harness.notifier.close?.();
      await harness.teardown();
    }
  };

  it(
    'notifier conformance: delivers subject, text, kind and recipients; declares its capabilities',
    withNotifier(async (harness) => {
      expect(typeof harness.notifier.name === 'string' && harness.notifier.name.length > 0).toBe(true);
      expect(typeof harness.notifier.capabilities.addressed).toBe('boolean');
      const sent = sampleNotification(1, ['pi@example.org', 'co-i@example.org']);
      await harness.notifier.send(sent);
      const [got] = await settle(harness, 1, timeoutMs);
      expect(got?.subject).toBe(sent.subject);
      expect(got?.text.replace(/\r\n/g, '\n').trim().startsWith(sent.text.trim())).toBe(true);
      expect([...(got?.to ?? [])].sort()).toEqual([...sent.to].sort());
      if (got?.kind !== undefined) expect(got.kind).toBe(sent.kind);
    }),
    timeoutMs * 2,
  );

  it(
    'notifier conformance: concurrent sends are all delivered, each once',
    withNotifier(async (harness) => {
      const sent = Array.from({ length: 8 }, (_, i) => sampleNotification(10 + i));
      await Promise.all(sent.map((n) => harness.notifier.send(n)));
      await sleep(100);
      const got = await settle(harness, sent.length, timeoutMs);
      expect(got.map((n) => n.subject).sort()).toEqual(sent.map((n) => n.subject).sort());
    }),
    timeoutMs * 2,
  );

  it(
    'notifier conformance: a notification without recipient is delivered (fixed destination) or refused (addressed), never dropped',
    withNotifier(async (harness) => {
      const orphan = sampleNotification(30, []);
      let error: unknown;
      await harness.notifier.send(orphan).catch((e: unknown) => (error = e));
      if (harness.notifier.capabilities.addressed) {
        expect((error as { code?: string } | undefined)?.code).toBe('NOTIFY_REJECTED');
      } else {
        expect(error).toBeUndefined();
        expect((await settle(harness, 1, timeoutMs)).map((n) => n.subject)).toEqual([orphan.subject]);
      }
    }),
    timeoutMs * 2,
  );

  const refuseName = 'notifier conformance: a refusing destination gives NOTIFY_REJECTED or NOTIFY_FAILED';
  if (options.refuse === false) {
    it.skip(`${refuseName} (skipped: the notifier declares refuse: false)`, async () => {});
    return;
  }
  it(
    refuseName,
    withNotifier(async (harness) => {
      if (!harness.refuse) throw new Error('the harness has no refuse(); pass { refuse: false } to skip this test');
      await harness.refuse();
      let error: unknown;
      await harness.notifier.send(sampleNotification(40)).catch((e: unknown) => (error = e));
      const code = (error as { code?: string } | undefined)?.code;
      expect(code === 'NOTIFY_REJECTED' || code === 'NOTIFY_FAILED').toBe(true);
    }),
    timeoutMs * 4,
  );
}
