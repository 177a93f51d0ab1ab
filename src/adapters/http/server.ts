/**
 * The archive's end of the HTTP link: a request handler for plain `node:http`/`node:https` (mountable in
 * Express, Fastify… through their raw req/res, before any body parser) that receives files from observatories
 * and pipelines, verifies them on arrival, hands them to an {@link Ingestor}, reports their status with timing
 * metrics, and calls the sender back when they are archived or fail. The endpoints are described in
 * docs/http.md and docs/openapi.yaml.
 *
 * @example
 * ```ts
 * const ingestor = createIngestor({ instruments, catalog, transports: [createFilesystemTransport({ root })], staging })
 * const server = createIngestServer({ ingestor, uploads: '/data/uploads', tokens: await loadTokensFile('tokens.yaml') })
 * await ingestor.start()
 * const { url } = await server.listen({ port: 8443, host: '0.0.0.0', tls: { cert, key } })
 * ```
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import { silentLogger, type Logger } from '../../core/ports/logger.js';
import type { Ingestor } from '../../core/runtime/engine.js';
import { parseOptions } from '../_shared/options.js';
import { ANONYMOUS, PUBLIC, isRefusal, TokenStore, tokenEntrySchema, type Principal } from './_auth.js';
import { CallbackSender } from './_callbacks.js';
import { releaseDue, type Release } from './_embargo.js';
import { createPages, type PagesOptions } from './_page-routes.js';
import type { LiveFeed } from './pages/_live.js';
import { redactPaths, sendError } from './_http.js';
import { initOnce } from '../../core/runtime/once.js';
import { sweepIdle } from './_idle.js';
import { IngestService } from './_ingest.js';
import { recordStatus } from './_status.js';
import { ROUTES } from './_routes.js';
import type { Route, RouteContext, Services } from './_route-types.js';
import { EventFeed } from './_feed.js';
import { endStreams } from './_routes-feed.js';
import { SubscriptionService } from './_subscriptions.js';
import { API } from './protocol.js';
import { UploadStore } from './_uploads.js';
import { GrantService } from './_grants.js';
import { releaseNotices, sendReleaseNotices, type ReleaseNoticeOptions } from './_release-notices.js';

export type { Release } from './_embargo.js';
export type { ReleaseNoticeOptions } from './_release-notices.js';
export type { PagesOptions } from './_page-routes.js';
export { loadTokensFile, SCOPES, type Scope, type TokenEntry } from './_auth.js';
export { createWebhookHandler, signWebhook, verifyWebhook, type CallbackPayload, type IngestStatus, type Metrics, type VerifyWebhookOptions, type WebhookHandlerOptions } from './webhook.js';

/** Name of the HTTP ingest server (the trigger name on the records it submits, unless changed). */
export const HTTP_SERVER = 'http';

const serverOptionsSchema = z.strictObject({
  /** Directory for partial uploads, received files, held batches and pending callbacks; created if missing. */
  uploads: z.string().min(1),
  /** Accepted bearer tokens (see {@link loadTokensFile} for the file format). @default [] */
  tokens: z.array(tokenEntrySchema).default([]),
  /** Accept requests without a token, with every scope: for tests on loopback only. @default false */
  allowAnonymous: z.boolean().default(false),
  /**
   * Serve released files (their proprietary period over) to callers without a token: file metadata, downloads,
   * nights listings (`serve --public`). Proprietary files stay invisible to them. @default false
   */
  public: z.boolean().default(false),
  /** How often to record the releases of files whose proprietary period ended, in ms. @default 60000 */
  releaseCheckMs: z.int().min(10).default(60_000),
  limits: z
    .strictObject({
      /** Largest file accepted. @default 68719476736 (64 GiB) */
      maxUploadBytes: z.int().min(1).default(64 * 2 ** 30),
      /** Largest JSON body. @default 1048576 */
      maxJsonBytes: z.int().min(1024).default(1 << 20),
      /** Longest `wait` a request may ask for, in seconds. @default 60 */
      maxWaitSeconds: z.number().min(0).default(60),
      /**
       * Uploads idle longer than this are deleted and reported in the log: partial uploads with no byte written
       * for so long, and received files nobody asked to ingest. @default 86400000 (24 h)
       */
      uploadTtlMs: z.int().min(1000).default(86_400_000),
    })
    .prefault({}),
  callbacks: z
    .strictObject({
      /** Attempts per callback before it is set aside in `callbacks/failed/`. @default 12 */
      maxAttempts: z.int().min(1).default(12),
      /** Delay before the second attempt; doubles each time (with jitter). @default 1000 */
      baseDelayMs: z.int().min(0).default(1000),
      /** Longest delay between attempts. @default 600000 */
      maxDelayMs: z.int().min(0).default(600_000),
      /** Time limit of one attempt. @default 10000 */
      timeoutMs: z.int().min(1).default(10_000),
    })
    .prefault({}),
  feed: z
    .strictObject({
      /** How often readers waiting for events re-read the log (for events other processes sharing the catalog commit). @default 1000 */
      pollMs: z.int().min(10).default(1000),
      /** Least time between two wake-ups of waiting readers: the events committed meanwhile go in one answer (one catalog read for every reader). @default 100 */
      batchMs: z.int().min(0).max(10_000).default(100),
      /** Most events in one subscription delivery. @default 100 */
      batch: z.int().min(1).max(1000).default(100),
    })
    .prefault({}),
  /** The trigger name written on the records this server submits. @default 'http' */
  name: z.string().min(1).default(HTTP_SERVER),
  /** fsync received files and state files before answering. @default true */
  fsync: z.boolean().default(true),
  /** Keep received files after they are archived (otherwise they are removed: the archive holds the bytes). @default false */
  keepReceived: z.boolean().default(false),
});

/** Options of {@link createIngestServer}. */
export type IngestServerOptions = z.input<typeof serverOptionsSchema> & {
  /** The ingestor that archives what arrives (its start and stop stay with the caller). */
  ingestor: Ingestor;
  /** @default silentLogger */
  logger?: Logger;
  /** Uniform random numbers for retry jitter. @default Math.random */
  random?: () => number;
  /** The time (epoch ms) for token expiry and proprietary periods; injectable for tests. @default Date.now */
  now?: () => number;
  /**
   * Serve the operator monitor and the observer portal under `/ui/` (docs/portal.md): `true`, or options (the
   * archive root whose disk space the monitor shows…). @default false
   */
  pages?: boolean | PagesOptions;
  /**
   * Mail each program's PI when files of the program are released (see _release-notices.ts): the notifiers (e.g.
   * `createMailNotifier`) and the program directory. @default none
   */
  releaseNotices?: ReleaseNoticeOptions;
  /** Offer reprocessing (`/v1/requests`) through this started processing service. @default none */
  processing?: import('../../processing/service.js').ProcessingService;
  /** Offer the quick-look readout and night close (`/v1/quicklook`, `/v1/nights/{night}/close`) of this started listener. @default none */
  quickLook?: import('../../processing/quicklook.js').QuickLook;
};

/** Options of {@link IngestServer.listen}. */
export interface ListenOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** A connection that sends or receives nothing this long is closed. @default 120000 */
  idleTimeoutMs?: number;
}

/** A listening server. */
export interface ListeningServer {
  /** e.g. `http://127.0.0.1:8080` */
  url: string;
  port: number;
  server: Server;
  /** Stops accepting connections, lets requests in progress finish for `graceMs` (default 10 s), then cuts them. */
  close(graceMs?: number): Promise<void>;
}

/** The ingest server. */
export interface IngestServer {
  /** The request handler. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Prepares the upload directory and resumes pending callbacks; the first request does it if needed. */
  start(): Promise<void>;
  /** Creates an http(s) server with this handler and suitable time limits, and listens. */
  listen(options?: ListenOptions): Promise<ListeningServer>;
  /** Stops callbacks and sweeps and leaves the ingestor alone (pending callbacks resume at the next start). */
  close(): Promise<void>;
  /**
   * Records a RELEASE in the history of each archived file whose proprietary period ended (also run every
   * `releaseCheckMs`), tells {@link IngestServer.onRelease}, and returns them.
   */
  checkReleases(): Promise<Release[]>;
  /** The pages (`pages` option), with their live event feed. */
  readonly pages: { readonly feed: LiveFeed } | undefined;
  /** Called for each release recorded. */
  onRelease?: (release: Release) => void;
  /** Called after each callback attempt. */
  onCallback?: (deliveryId: string, outcome: { ok: boolean; status?: number; error?: string; final: boolean }) => void;
}

function compile(route: Route): RegExp {
  const source = route.path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (name === 'uploadId') return '([0-9a-f]{32})';
    if (name === 'night') return '(\\d{4}-\\d{2}-\\d{2})';
    return '([A-Za-z0-9][A-Za-z0-9._+-]{0,127})';
  });
  return new RegExp(`^${source}$`);
}

/**
 * Creates the ingest server around a running (or soon started) ingestor.
 *
 * @throws IngestError INVALID_OPTIONS for bad options (a token entry, a limit…).
 */
export function createIngestServer(input: IngestServerOptions): IngestServer {
  const { ingestor, logger = silentLogger, random = Math.random, now = () => Date.now(), pages: pagesOption = false, processing, quickLook, releaseNotices: noticeOptions, ...rest } = input;
  const options = parseOptions(serverOptionsSchema, rest, 'the ingest server');
  const root = resolve(options.uploads);
  const tokens = new TokenStore(options.tokens);
  const uploads = new UploadStore(root, options.fsync);
  const ingest = new IngestService({ ingestor, received: uploads.received, heldDir: join(root, 'held'), trigger: options.name, keepReceived: options.keepReceived, fsync: options.fsync, logger, now });
  const callbacks = new CallbackSender({ dir: join(root, 'callbacks'), settings: options.callbacks, target: (site) => tokens.callbackOf(site), logger, random, fsync: options.fsync });
  const feed = new EventFeed(ingestor, options.feed.pollMs, now, options.feed.batchMs);
  const subscriptions = new SubscriptionService({
    catalog: ingestor.catalog,
    feed,
    api: API,
    settings: { ...options.callbacks, batch: options.feed.batch, persistMs: 1000 },
    principalOf: (sha) => (sha === null ? undefined : tokens.byDigest(sha, now())),
    logger,
    random,
  });
  const grants = new GrantService({ catalog: ingestor.catalog, tokens, logger, now });
  const services: Services = { uploads, ingest, feed, subscriptions, streams: new Set(), limits: options.limits, now, grants, ...(processing ? { processing } : {}), ...(quickLook ? { quickLook } : {}) };
  const routes = ROUTES.map((route) => ({ route, pattern: compile(route) }));
  let secure = false;
  const pages = pagesOption === false ? undefined : createPages({ ingestor, tokens, services, logger, secure: () => secure, stateDir: join(root, 'ui'), options: pagesOption === true ? {} : pagesOption });
  let sweeper: NodeJS.Timeout | undefined;
  let releaser: NodeJS.Timeout | undefined;

  const callback = (event: 'archived' | 'failed') => (record: FileRecord) => {
    const site = record.metadata['site'];
    if (record.trigger !== options.name || typeof site !== 'string') return;
    void recordStatus(ingestor.catalog, record)
      .then((status) => callbacks.send(event, site, status))
      .catch((error: unknown) => logger.error('could not queue a callback', { recordId: record.id, error: String(error) }));
  };
  const [archived, failed] = [callback('archived'), callback('failed')];
  ingestor.on('archived', archived).on('duplicate', archived).on('invalid', failed).on('abandoned', failed);

  // Once, for every request and listen; a failed start (a full disk…) is tried again by the next one.
  const start = initOnce(async () => {
    await mkdir(root, { recursive: true });
    await uploads.init();
    await ingest.init();
    callbacks.onAttempt = (id, outcome) => server.onCallback?.(id, outcome);
    await callbacks.start();
    await subscriptions.start();
    await grants.refresh();
    const sweep = () => void sweepIdle(uploads, ingest, now(), options.limits.uploadTtlMs, logger).catch((error: unknown) => logger.warn('upload sweep failed', { error: String(error) }));
    sweep();
    sweeper = setInterval(sweep, Math.min(options.limits.uploadTtlMs, 3_600_000));
    sweeper.unref();
    releaser = setInterval(() => void server.checkReleases().catch((error: unknown) => logger.warn('release check failed', { error: String(error) })), options.releaseCheckMs);
    releaser.unref();
  });

  const authenticate = (req: IncomingMessage, route: Route): Principal | undefined => {
    if (route.scopes === null) return undefined;
    if (options.allowAnonymous && req.headers.authorization === undefined) return ANONYMOUS;
    if (options.public && req.headers.authorization === undefined && route.scopes.includes('read')) return PUBLIC;
    return tokens.authenticate(req.headers.authorization, now());
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://server');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new IngestError('BAD_REQUEST', 'the path is not valid percent-encoding');
    }
    if (pages && (path === '/' || path === '/ui' || path.startsWith('/ui/'))) {
      await start();
      await pages.handle(req, res, path, url.searchParams);
      return;
    }
    const method = req.method === 'HEAD' && !routes.some((r) => r.route.method === 'HEAD' && r.pattern.test(path)) ? 'GET' : req.method;
    const matches = routes.filter((r) => r.pattern.test(path));
    const found = matches.find((r) => r.route.method === method);
    if (!found) {
      if (matches.length > 0) res.setHeader('allow', matches.map((r) => r.route.method).join(', '));
      throw new IngestError(matches.length > 0 ? 'BAD_REQUEST' : 'NOT_FOUND', matches.length > 0 ? `${req.method} is not allowed on ${path}` : `no endpoint ${path}`);
    }
    await start();
    const principal = authenticate(req, found.route);
    if (principal && found.route.scopes) {
      const scopes = found.route.scopes;
      if (!scopes.some((s) => principal.scopes.has(s)) && !principal.scopes.has('admin')) {
        logger.warn('refused', { site: principal.site, method: req.method, path, code: 'FORBIDDEN', message: `lacks the "${scopes.join('" or "')}" scope` });
        throw new IngestError('FORBIDDEN', `the token of ${principal.site} lacks the "${scopes.join('" or "')}" scope`);
      }
    }
    let proceeded = !expectsContinue;
    const ctx: RouteContext = {
      req,
      res,
      params: found.pattern.exec(path)!.slice(1),
      query: url.searchParams,
      principal: principal ?? ANONYMOUS,
      proceed: () => {
        if (!proceeded) res.writeContinue();
        proceeded = true;
      },
    };
    try {
      await found.route.handler(ctx, services);
    } catch (error) {
      if (isRefusal(error)) logger.warn('refused', { site: ctx.principal.site, method: req.method, path, code: error.code, message: error.detail });
      throw error;
    }
  };

  const dispatch = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    // No answer shows where the server keeps uploads (error messages, records' errors, history).
    redactPaths(res, [root]);
    handle(req, res, expectsContinue).catch((error: unknown) => {
      const e = error instanceof IngestError ? error : undefined;
      if (!e || e.kind === 'internal') logger.error('request failed', { method: req.method, url: req.url, error: String(error) });
      sendError(req, res, error);
    });
  };

  const server: IngestServer = {
    handler: (req, res) => dispatch(req, res, false),
    pages,
    start,
    async listen(listen: ListenOptions = {}): Promise<ListeningServer> {
      await start();
      secure ||= listen.tls !== undefined;
      const http = listen.tls ? createHttpsServer({ cert: listen.tls.cert, key: listen.tls.key }) : createHttpServer();
      http.on('request', (req, res) => dispatch(req, res, false));
      http.on('checkContinue', (req, res) => dispatch(req, res, true));
      // Large uploads take long: no limit on a whole request, only on silence.
      http.requestTimeout = 0;
      http.headersTimeout = 60_000;
      http.keepAliveTimeout = 30_000;
      http.setTimeout(listen.idleTimeoutMs ?? 120_000);
      const host = listen.host ?? '127.0.0.1';
      await new Promise<void>((resolveListen, reject) => {
        http.once('error', reject);
        http.listen(listen.port ?? 0, host, () => {
          http.off('error', reject);
          resolveListen();
        });
      });
      const port = (http.address() as AddressInfo).port;
      const url = `${listen.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
      return {
        url,
        port,
        server: http,
        close: async (graceMs = 10_000) => {
          // Event streams never end on their own: end them so a stop does not wait the whole grace period.
          pages?.feed.close();
          endStreams(services.streams);
          const closed = new Promise<void>((resolveClose) => http.close(() => resolveClose()));
          http.closeIdleConnections();
          const timer = setTimeout(() => http.closeAllConnections(), graceMs);
          timer.unref();
          await closed;
          clearTimeout(timer);
        },
      };
    },
    async checkReleases(): Promise<Release[]> {
      await grants.refresh(); // another host sharing the catalog may have changed them
      const released = await releaseDue(ingestor.catalog, now());
      for (const release of released) {
        logger.info('released', { archiveId: release.file.archiveId, program: release.file.program, releaseDate: release.record.metadata['released'] });
        server.onRelease?.(release);
        pages?.released(release);
      }
      if (noticeOptions && released.length > 0) await sendReleaseNotices(releaseNotices(released, tokens, noticeOptions, now()), noticeOptions.notifiers, logger);
      return released;
    },
    async close(): Promise<void> {
      clearInterval(sweeper);
      clearInterval(releaser);
      pages?.close();
      ingestor.off('archived', archived).off('duplicate', archived).off('invalid', failed).off('abandoned', failed);
      ingest.dispose();
      feed.close();
      endStreams(services.streams);
      await subscriptions.close();
      await callbacks.close();
    },
  };
  return server;
}
