/**
 * The announcement queue shared by triggers: at most `concurrency` submits in flight, never two for one path at
 * once, pending items coalesced by path (a newer item for a queued path replaces it in place, so the queue
 * holds at most one item per path). Internal to src/adapters/triggers.
 *
 * @module
 */
import { IngestError, toIngestError } from '../../core/errors.js';
import type { TriggerAlert, TriggerSink, WorkItem } from '../../core/ports/trigger.js';

/** Raises an alert built from `error`; a sink whose alert() throws cannot break the trigger. */
export function alertFrom(sink: TriggerSink, trigger: string, error: IngestError, path?: string): void {
  const alert: TriggerAlert = { trigger, code: error.code, message: error.message };
  if (path !== undefined) alert.path = path;
  try {
    sink.alert(alert);
  } catch {
    // The alert is lost, the trigger keeps running.
  }
}

/** Options of {@link SubmitQueue}. */
export interface SubmitQueueOptions {
  sink: TriggerSink;
  /** Trigger name, for alerts. */
  trigger: string;
  /** Submits in flight at most. */
  concurrency: number;
  /** Pending items past which one QUEUE_BACKLOG alert is raised (again once the queue has emptied). */
  backlogAlert: number;
  /** Called when the sink rejects an item (after the SUBMIT_FAILED alert). */
  onRejected?(item: WorkItem): void;
}

/** Bounded-concurrency, path-coalescing submit queue. */
export class SubmitQueue {
  readonly #options: SubmitQueueOptions;
  readonly #pending = new Map<string, WorkItem>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #waiters: (() => void)[] = [];
  #closed = false;
  #backlogAlerted = false;

  constructor(options: SubmitQueueOptions) {
    this.#options = options;
  }

  /** Items waiting, not yet submitted. */
  get size(): number {
    return this.#pending.size;
  }

  /** Queues `item`, replacing a pending item for the same path (keeping its place). Ignored once closed. */
  push(item: WorkItem): void {
    if (this.#closed) return;
    this.#pending.set(item.path, item);
    if (this.#pending.size > this.#options.backlogAlert && !this.#backlogAlerted) {
      this.#backlogAlerted = true;
      const error = new IngestError('QUEUE_BACKLOG', `${this.#pending.size} announcements are waiting for the runtime`);
      alertFrom(this.#options.sink, this.#options.trigger, error);
    }
    this.#pump();
  }

  /** Resolves once fewer than `limit` items are pending (or the queue is closed): back-pressure for scans. */
  async below(limit: number): Promise<void> {
    while (!this.#closed && this.#pending.size >= limit) await this.#nextChange();
  }

  /** Resolves once nothing is pending or in flight. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0 || this.#inFlight.size > 0) await this.#nextChange();
  }

  /** Drops pending items, refuses new ones, and resolves once the submits in flight have finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.clear();
    this.#wake();
    await this.idle();
  }

  #nextChange(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #pump(): void {
    if (this.#closed) return;
    for (const [path, item] of this.#pending) {
      if (this.#inFlight.size >= this.#options.concurrency) break;
      if (this.#inFlight.has(path)) continue;
      this.#pending.delete(path);
      this.#inFlight.set(path, this.#submit(item));
    }
    if (this.#pending.size === 0) this.#backlogAlerted = false;
  }

  async #submit(item: WorkItem): Promise<void> {
    try {
      await this.#options.sink.submit(item);
    } catch (cause) {
      const error = new IngestError('SUBMIT_FAILED', `the sink rejected ${item.path}: ${toIngestError(cause).message}`, {
        context: { file: item.path },
        cause,
      });
      alertFrom(this.#options.sink, this.#options.trigger, error, item.path);
      this.#options.onRejected?.(item);
    } finally {
      this.#inFlight.delete(item.path);
      this.#pump();
      this.#wake();
    }
  }
}
