/**
 * Where the mail triggers hand work items to the sink: at most `concurrency` submits in flight across all
 * messages (started in arrival order), repeats of an announcement dropped, and a result per message so the
 * message is acknowledged (SMTP 250, Maildir move to cur/) only once all its files are recorded. Internal to
 * src/adapters/triggers.
 *
 * @module
 */
import { IngestError, toIngestError } from '../../core/errors.js';
import type { TriggerSink } from '../../core/ports/trigger.js';
import type { Announced } from './mail-intake.js';
import { SeenFiles } from './_seen-files.js';

/** What happened to the files of one message. */
export interface GateResult {
  /** Files handed to the sink. */
  submitted: number;
  /** Files dropped as repeats of an announcement already handed over. */
  repeated: number;
}

/** Bounded, ordered, duplicate-dropping submission. */
export class MailGate {
  readonly #sink: TriggerSink;
  readonly #concurrency: number;
  readonly #seen: SeenFiles;
  readonly #waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #active = 0;
  #closed = false;

  constructor(sink: TriggerSink, concurrency: number, seenLimit: number) {
    this.#sink = sink;
    this.#concurrency = concurrency;
    this.#seen = new SeenFiles(seenLimit);
  }

  /** Submits in flight now. */
  get active(): number {
    return this.#active;
  }

  /**
   * Hands the files of one message to the sink. Resolves once all are recorded; rejects with SUBMIT_FAILED when
   * one was refused or the gate closed first — the refused files are forgotten, so a retry announces them again.
   */
  async submitAll(announced: readonly Announced[]): Promise<GateResult> {
    const fresh = announced.filter(({ item, identity }) => this.#seen.record(item.path, identity));
    const work = fresh.map((entry) => this.#submitOne(entry));
    this.#track(...work);
    const results = await Promise.allSettled(work);
    const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [{ path: fresh[i]!.item.path, reason: result.reason as unknown }] : []));
    if (failed.length === 0) return { submitted: fresh.length, repeated: announced.length - fresh.length };
    for (const { path } of failed) this.#seen.forget(path);
    const first = toIngestError(failed[0]!.reason);
    throw new IngestError('SUBMIT_FAILED', `${failed.length} of ${fresh.length} announced file(s) were not recorded: ${first.message}`, {
      context: { file: failed[0]!.path },
      cause: first,
    });
  }

  /** Refuses new submits and resolves once those in flight have finished. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new IngestError('ABORTED', 'the trigger is stopping'));
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track(...promises: Promise<unknown>[]): void {
    for (const promise of promises) {
      const tracked = promise.catch(() => {}).finally(() => this.#inFlight.delete(tracked));
      this.#inFlight.add(tracked);
    }
  }

  async #submitOne({ item }: Announced): Promise<void> {
    await this.#acquire();
    try {
      await this.#sink.submit(item);
    } finally {
      this.#active--;
      this.#waiting.shift()?.resolve();
    }
  }

  #acquire(): Promise<void> {
    if (this.#closed) return Promise.reject(new IngestError('ABORTED', 'the trigger is stopping'));
    if (this.#active < this.#concurrency && this.#waiting.length === 0) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({
        resolve: () => {
          this.#active++;
          resolve();
        },
        reject,
      });
    });
  }
}
