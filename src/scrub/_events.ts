/**
 * What the scrub leaves behind for people: a history entry on the archived file's record for every problem and
 * repair (the record keeps its state: `ARCHIVED → ARCHIVED`, cause `SCRUB_CORRUPT`, `SCRUB_MISSING`,
 * `SCRUB_REPAIRED`, `SCRUB_LOST`), and operator alerts through the notifiers, throttled: one per problem kind per
 * window, the next one saying how many were held back. Internal to src/scrub.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { IngestError, isIngestError, toIngestError } from '../core/errors.js';
import { createRecord, detectedEntry } from '../core/lifecycle/record.js';
import { transition } from '../core/lifecycle/transition.js';
import type { Catalog } from '../core/ports/catalog.js';
import type { Clock } from '../core/ports/clock.js';
import type { Notification, Notifier } from '../core/ports/notifier.js';

/** Adds a history entry to record `recordId` without changing its state; retried when a writer races it. */
export async function recordEvent(catalog: Catalog, recordId: string, cause: string, message: string, at: number, actor: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const record = await catalog.getRecord(recordId);
    if (!record) return;
    try {
      await catalog.updateRecord({ ...record, version: record.version + 1, updatedAt: Math.max(record.updatedAt, at) }, { recordId, at, from: record.state, to: record.state, cause, actor, message });
      return;
    } catch (error) {
      if (!isIngestError(error, 'CONFLICT') || attempt >= 4) throw error;
    }
  }
}

/**
 * Gives a file found in the archive storage but unknown to the catalog (UNCATALOGED) a record and a history, once:
 * a record for its path (trigger `scrub`), `null → DETECTED → INVALID` with error UNCATALOGED, so it shows among
 * the files needing an operator and in the event log. INVALID is final: nothing ingests or touches the file on its
 * own; `fits-ingest requeue <id>` ingests it. A later run finds that record and adds nothing. Resolves to the
 * record id (undefined when a record of the path is being ingested meanwhile).
 */
export async function recordUncataloged(catalog: Catalog, path: string, detail: string, at: number, actor: string): Promise<string | undefined> {
  const known = (await catalog.findRecords({ source: path, limit: 100 })).find((r) => r.state === 'INVALID' && r.error?.code === 'UNCATALOGED');
  if (known) return known.id;
  const record = createRecord({ id: randomUUID(), source: path, originalName: basename(path), trigger: actor }, at);
  const inserted = await catalog.insertRecord(record, detectedEntry(record, actor), { owner: actor, until: at + 60_000 });
  if (!inserted.inserted) return undefined;
  const error = new IngestError('UNCATALOGED', detail, { context: { file: path } });
  const moved = transition(inserted.record, { type: 'INVALID', error: { code: error.code, kind: error.kind, message: error.message, step: 'scrub' } }, at);
  await catalog.updateRecord(moved.record, { ...moved.entry!, actor });
  return record.id;
}

/** One alert to the operators. */
export interface ScrubAlert {
  /** `CORRUPT`, `MISSING`, `UNCATALOGED`, `LOST`, `REPAIRED`. */
  problem: string;
  archiveId: string | null;
  uri: string;
  detail: string;
}

/** Options of {@link scrubAlerts}. */
export interface ScrubAlertOptions {
  notifiers: readonly Notifier[];
  clock: Clock;
  /** One alert per problem kind per window. @default 1 hour */
  throttleMs?: number;
  /** Addresses for addressed notifiers (mail). @default [] */
  to?: readonly string[];
  /** Name of the archive, in subjects. @default 'fits-ingest' */
  archive?: string;
  onError?(error: IngestError, notifier: string): void;
}

/** Throttled delivery of scrub alerts; `idle()` waits for deliveries under way. */
export function scrubAlerts(options: ScrubAlertOptions): { alert(alert: ScrubAlert): void; idle(): Promise<void>; sent: number; held: number } {
  const { notifiers, clock, throttleMs = 3_600_000, to = [], archive = 'fits-ingest' } = options;
  const windows = new Map<string, { openedAt: number; held: number; since?: number }>();
  const pending = new Set<Promise<void>>();
  const state = {
    sent: 0,
    held: 0,
    alert(alert: ScrubAlert): void {
      const now = clock.now();
      const window = windows.get(alert.problem);
      if (window && now - window.openedAt < throttleMs) {
        window.held++;
        window.since ??= now;
        state.held++;
        return;
      }
      windows.set(alert.problem, { openedAt: now, held: 0 });
      const heldBack = window?.held ?? 0;
      const loud = alert.problem === 'LOST' ? 'NO GOOD COPY LEFT: ' : '';
      const notification: Notification = {
        kind: 'scrub-alert',
        to: [...to],
        subject: `[${archive}] scrub: ${loud}${alert.problem} ${alert.archiveId ?? alert.uri}`,
        text: [
          `The scrub found a ${alert.problem} copy${alert.archiveId ? ` of ${alert.archiveId}` : ''}:`,
          '',
          `${alert.uri}: ${alert.detail}`,
          heldBack > 0 ? `\n${heldBack} more ${alert.problem} alert(s) were held back since ${new Date(window!.since ?? window!.openedAt).toISOString()} (one per kind every ${Math.round(throttleMs / 60_000)} min); see fits-ingest scrub --json.` : '',
        ].join('\n'),
        data: { problem: alert.problem, archiveId: alert.archiveId, uri: alert.uri, detail: alert.detail, heldBack },
        at: now,
      };
      for (const notifier of notifiers) {
        if (notifier.capabilities.addressed && notification.to.length === 0) continue;
        const delivery = notifier.send(notification).then(
          () => void state.sent++,
          (error: unknown) => options.onError?.(toIngestError(error), notifier.name),
        );
        pending.add(delivery);
        void delivery.finally(() => pending.delete(delivery));
      }
    },
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
  return state;
}
