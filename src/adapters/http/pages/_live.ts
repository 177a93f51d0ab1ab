/**
 * Live updates for the pages over Server-Sent Events. Each ingestion event is serialized once, then written to
 * every client allowed to read the file ({@link mayRead}, the same rule as the API). A client's buffer is
 * bounded: once a slow client has more than `maxBufferedBytes` unsent, its events are dropped (counted) until its
 * buffer has emptied; then it is told to reload its snapshot (`resync`). Ingestion never waits for a client.
 * Internal to src/adapters/http.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { mayRead, type Principal, type ReadableFile } from '../_auth.js';

/** One event for the pages. */
export interface LiveEvent {
  type: 'state' | 'archived' | 'released';
  /** Who may see it. */
  readable: ReadableFile;
  data: Record<string, unknown>;
}

interface Client {
  res: ServerResponse;
  principal: Principal;
  skipped: number;
  /** Events waiting for this tick's single write. */
  pending: string[];
  pendingBytes: number;
  /** Watches a client that lost events until its buffer empties. */
  watch?: NodeJS.Timeout;
}

/** Options of {@link LiveFeed}. */
export interface LiveFeedOptions {
  now: () => number;
  /** Unsent bytes past which a client's events are dropped. @default 262144 */
  maxBufferedBytes?: number;
  /** At most this many clients at once (more answer 503). @default 1000 */
  maxClients?: number;
  /** A comment line every this many ms keeps proxies from closing the stream. @default 15000 */
  heartbeatMs?: number;
}

/** The set of connected event-stream clients. */
export class LiveFeed {
  readonly #clients = new Set<Client>();
  #id = 0;
  readonly #heartbeat: NodeJS.Timeout;
  #flushing = false;
  /** Events dropped for slow clients so far (all clients). */
  dropped = 0;

  constructor(private readonly options: LiveFeedOptions) {
    this.#heartbeat = setInterval(() => {
      for (const c of this.#clients) if (c.res.writableLength === 0 && c.skipped === 0) c.res.write(': ping\n\n');
    }, options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Starts an event stream on `res` for `principal`; false when the server has too many clients. */
  attach(res: ServerResponse, principal: Principal): boolean {
    if (this.#clients.size >= (this.options.maxClients ?? 1000)) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write(`retry: 2000\n: connected\n\n`);
    const client: Client = { res, principal, skipped: 0, pending: [], pendingBytes: 0 };
    this.#clients.add(client);
    res.on('close', () => {
      clearInterval(client.watch);
      this.#clients.delete(client);
    });
    return true;
  }

  /** Sends `event` to every client that may read its file. */
  publish(event: LiveEvent): void {
    if (this.#clients.size === 0) return;
    const text = `id: ${++this.#id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
    const now = this.options.now();
    const limit = this.options.maxBufferedBytes ?? 262_144;
    for (const client of this.#clients) {
      if (!mayRead(client.principal, event.readable, now)) continue;
      if (client.skipped > 0 || client.res.writableLength + client.pendingBytes > limit) {
        this.#skip(client);
        continue;
      }
      client.pending.push(text);
      client.pendingBytes += text.length;
    }
    // One write per client per turn of the event loop, however many events the turn produced.
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushing = false;
    for (const client of this.#clients) {
      if (client.pending.length === 0) continue;
      client.res.write(client.pending.length === 1 ? client.pending[0]! : client.pending.join(''));
      client.pending = [];
      client.pendingBytes = 0;
    }
  }

  /** Drops an event for a slow client; once its buffer has emptied, it is told how many it missed (`resync`). */
  #skip(client: Client): void {
    client.skipped++;
    this.dropped++;
    client.watch ??= setInterval(() => {
      if (client.res.writableLength > 0) return;
      client.res.write(`event: resync\ndata: ${JSON.stringify({ skipped: client.skipped })}\n\n`);
      client.skipped = 0;
      clearInterval(client.watch);
      delete client.watch;
    }, 100);
    client.watch.unref();
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const c of this.#clients) {
      clearInterval(c.watch);
      c.res.end();
    }
    this.#clients.clear();
  }
}
