/**
 * One running keyword monitor (from start to stop): the connection to the source and its reconnection, the
 * announcements (first broadcast, repeats, files not visible yet, data roots) and the heartbeat. Internal to
 * src/adapters/triggers; the rules are described on `createKeywordTrigger`.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestError, toIngestError } from '../../core/errors.js';
import { backoffDelay } from '../../core/lifecycle/backoff.js';
import type { KeywordMessage, KeywordSource, KeywordSourceState, Unsubscribe } from '../../core/ports/keyword-source.js';
import type { TriggerSink, WorkItem } from '../../core/ports/trigger.js';
import type { KeywordTriggerSettings } from '../../core/instruments/schema.js';
import { Announcer } from './_keyword-announce.js';
import { Heartbeats } from './_keyword-heartbeat.js';
import type { DataRoots } from './_data-roots.js';
import { fileIdentity, SeenFiles } from './_seen-files.js';
import { alertFrom, type SubmitQueue } from './_submit-queue.js';

/** What a {@link KeywordMonitor} needs, already validated. */
export interface KeywordMonitorSettings {
  name: string;
  instrument: string;
  level: 0 | 1 | 2 | undefined;
  source: KeywordSource;
  keywords: KeywordTriggerSettings;
  roots: DataRoots;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  startTimeoutMs: number;
  seenLimit: number;
}

type Candidate = { path: string; message: KeywordMessage; receivedAt: number; gap: boolean };

/** Watches a keyword source into a submit queue until {@link KeywordMonitor.stop}. */
export class KeywordMonitor {
  readonly #s: KeywordMonitorSettings;
  readonly #sink: TriggerSink;
  readonly #queue: SubmitQueue;
  readonly #announcers: Announcer[];
  readonly #seen: SeenFiles;
  readonly #looking = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #unsubscribe: Unsubscribe[] = [];
  readonly #heartbeats: Heartbeats;
  #chain: Promise<void> = Promise.resolve();
  /** Connections so far; primes of the first one are the baseline. */
  #connections = 0;
  #down = false;
  #reconnecting = false;
  #stopping: Promise<void> | undefined;

  constructor(settings: KeywordMonitorSettings, sink: TriggerSink, queue: SubmitQueue) {
    this.#s = settings;
    this.#sink = sink;
    this.#queue = queue;
    this.#announcers = settings.keywords.announce.map((spec) => new Announcer(spec));
    this.#seen = new SeenFiles(settings.seenLimit);
    this.#heartbeats = new Heartbeats(settings.keywords.heartbeat ?? [], ({ key, staleAfterMs }) =>
      this.#alert(new IngestError('KEYWORD_HEARTBEAT_STALE', `${key} has not changed for ${staleAfterMs} ms`, { context: { key } })),
    );
  }

  /** Subscribes, connects, and resolves once connected or after `startTimeoutMs` (then it keeps trying). */
  async start(): Promise<void> {
    const { source } = this.#s;
    const keys = [...this.#announcers.flatMap((a) => a.keys), ...this.#heartbeats.keys];
    this.#unsubscribe.push(
      source.subscribe(keys, { message: (m) => this.#onMessage(m), problem: (e) => this.#alert(e) }),
      source.onStateChange((state) => this.#onState(state)),
    );
    this.#heartbeats.start();
    if (source.state === 'connected') this.#connections = 1;
    try {
      await source.connect();
    } catch (error) {
      const e = toIngestError(error);
      if (e.kind === 'usage') throw e;
      this.#onState('disconnected');
      this.#reconnect(); // whatever the source's capabilities: it never opened
    }
    const connected = await this.#until(() => source.state === 'connected', this.#s.startTimeoutMs);
    if (!connected && !this.#down) {
      this.#down = true;
      this.#alert(new IngestError('KEYWORD_SOURCE_UNAVAILABLE', `not connected to ${source.name} after ${this.#s.startTimeoutMs} ms; still trying`));
    }
  }

  /** Stops listening, closes the source, drops queued announcements; resolves once submits in flight are done. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      this.#heartbeats.stop();
      for (const unsubscribe of this.#unsubscribe) unsubscribe();
      await this.#s.source.close().catch(() => {});
      await this.#queue.close();
      await Promise.allSettled([...this.#tasks]);
    })();
    return this.#stopping;
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  #alert(error: IngestError, path?: string): void {
    if (!this.#stopped) alertFrom(this.#sink, this.#s.name, error, path);
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  async #until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition() && !this.#stopped && Date.now() < deadline) await sleep(10);
    return condition();
  }

  #onState(state: KeywordSourceState): void {
    if (this.#stopped) return;
    if (state === 'connected') {
      this.#connections++;
      this.#down = false;
      return;
    }
    if (state !== 'disconnected' && state !== 'closed') return;
    if (!this.#down) {
      this.#down = true;
      const what = this.#connections > 0 ? 'lost the connection to' : 'cannot connect to';
      this.#alert(new IngestError('KEYWORD_SOURCE_UNAVAILABLE', `${what} ${this.#s.source.name}; announcements made meanwhile are missed; reconnecting`));
    }
    if (state === 'disconnected' && !this.#s.source.capabilities.reconnects) this.#reconnect();
  }

  /** Calls `connect()` until it resolves, waiting longer after each failure (exponential backoff, jitter). */
  #reconnect(): void {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    const { initialDelayMs, maxDelayMs } = this.#s.reconnect;
    this.#track(
      (async () => {
        for (let failures = 1; !this.#stopped && this.#s.source.state !== 'connected'; failures++) {
          try {
            await sleep(backoffDelay(Math.min(failures, 31), { baseDelayMs: initialDelayMs, maxDelayMs }), undefined, { signal: this.#abort.signal });
            await this.#s.source.connect();
            return;
          } catch {
            // stopped, or still unreachable: next attempt
          }
        }
      })().finally(() => (this.#reconnecting = false)),
    );
  }

  #onMessage(message: KeywordMessage): void {
    if (this.#stopped) return;
    const receivedAt = Date.now();
    // A primed heartbeat value is old news: only a change shows the service is alive.
    if (!message.initial && this.#heartbeats.beat(message.key)) return;
    for (const announcer of this.#announcers) {
      if (!announcer.keys.includes(message.key)) continue;
      const outcome = announcer.take(message);
      if (!outcome) continue;
      if ('error' in outcome) {
        // A primed value that cannot make a path (a key the publisher has no value for yet) is not news.
        if (!message.initial) this.#alert(outcome.error);
        continue;
      }
      const candidate = { path: outcome.path, message, receivedAt, gap: message.initial === true && this.#connections > 1 };
      const baseline = message.initial === true && this.#connections <= 1 && this.#s.keywords.skipFirstBroadcast;
      this.#chain = this.#chain
        .then(() => (baseline ? this.#remember(candidate.path) : this.#consider(candidate)))
        .catch((error: unknown) => this.#alert(toIngestError(error, { file: candidate.path }), candidate.path));
      this.#track(this.#chain);
    }
  }

  /** KOA's first-broadcast rule: the value current at the first connection was announced before; never ingest it. */
  async #remember(path: string): Promise<void> {
    const stats = await stat(path).catch(() => undefined);
    this.#seen.record(path, stats ? fileIdentity(stats) : 'missing');
  }

  async #consider(candidate: Candidate): Promise<void> {
    const { path } = candidate;
    const refused = this.#s.roots.refuseAsWritten(path);
    if (refused) return this.#reject(path, refused);
    if (this.#looking.has(path)) return;
    const stats = await stat(path).catch(() => undefined);
    if (stats) return this.#announce(candidate, stats);
    this.#looking.add(path);
    this.#track(this.#lookFor(candidate).finally(() => this.#looking.delete(path)));
  }

  /** A file announced before it is visible (slow NFS): look again `retries` times, `delayMs` apart. */
  async #lookFor(candidate: Candidate): Promise<void> {
    const { retries, delayMs } = this.#s.keywords.missingFile;
    for (let i = 0; i < retries && !this.#stopped; i++) {
      await sleep(delayMs, undefined, { signal: this.#abort.signal }).catch(() => {});
      const stats = await stat(candidate.path).catch(() => undefined);
      if (stats) return this.#announce(candidate, stats);
    }
    if (this.#stopped || !this.#seen.record(candidate.path, 'missing')) return;
    const waited = retries * delayMs;
    this.#alert(new IngestError('KEYWORD_FILE_MISSING', `${candidate.path} was announced by ${candidate.message.key} but is not visible after ${retries} looks over ${waited} ms`, { context: { file: candidate.path, key: candidate.message.key } }), candidate.path);
    this.#queue.push(this.#item(candidate));
  }

  async #announce(candidate: Candidate, stats: import('node:fs').Stats): Promise<void> {
    const { path } = candidate;
    if (!stats.isFile()) return this.#reject(path, 'it is not a regular file');
    const refused = await this.#s.roots.refuseReal(path);
    if (refused) return this.#reject(path, refused);
    if (this.#stopped || !this.#seen.record(path, fileIdentity(stats))) return;
    if (candidate.gap) {
      const detail = `reconnected to ${this.#s.source.name}: ${candidate.message.key} changed while disconnected; files announced in between, other than ${path}, were missed`;
      this.#alert(new IngestError('KEYWORD_GAP', detail, { context: { key: candidate.message.key } }), path);
    }
    this.#queue.push(this.#item(candidate, stats));
  }

  /** Alerts a refused path, once until it is announced differently. */
  #reject(path: string, why: string): void {
    if (!this.#seen.record(path, `refused: ${why}`)) return;
    this.#alert(new IngestError('KEYWORD_PATH_REJECTED', `${path}: ${why}`, { context: { file: path } }), path);
  }

  #item(candidate: Candidate, stats?: import('node:fs').Stats): WorkItem {
    const item: WorkItem = {
      path: candidate.path,
      trigger: this.#s.name,
      detectedAt: candidate.receivedAt,
      instrument: this.#s.instrument,
      complete: true,
      metadata: { keyword: candidate.message.key, keywordTime: candidate.message.time },
    };
    if (stats) Object.assign(item, { size: stats.size, mtimeMs: stats.mtimeMs });
    if (this.#s.level !== undefined) item.level = this.#s.level;
    return item;
  }
}
