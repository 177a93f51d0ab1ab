/**
 * The pages of the ingest server under `/ui/`: login (a token posted once, then an HttpOnly SameSite=Strict
 * session cookie), the operator monitor, the observer portal, their JSON, thumbnails, downloads, the live event
 * stream, and the admin actions (requeue, reingest, cancel a reprocessing request; CSRF-checked, recorded with
 * `operator:<site>` as actor).
 * Every read goes through {@link mayRead}, as in the API. Internal to src/adapters/http.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { IngestError } from '../../core/errors.js';
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Ingestor } from '../../core/runtime/engine.js';
import { bearerDigest, isAdmin, mayRead, refusal, type Principal, type TokenStore } from './_auth.js';
import { readableOf, releaseDateOf, type Release } from './_embargo.js';
import { sendJson } from './_http.js';
import { content } from './_routes.js';
import type { Services } from './_route-types.js';
import { fileView, recordForArchiveId } from './_status.js';
import { currentNight, fileRow, monitorSnapshot, nightFiles, nightWeather, reingestSource, thumbnailPng } from './pages/_data.js';
import { COMMON_JS, loginPage, monitorPage, PAGE_HEADERS, portalPage, STYLE_CSS } from './pages/_html.js';
import { LiveFeed } from './pages/_live.js';
import { MONITOR_JS, PORTAL_JS } from './pages/_scripts.js';
import { checkCsrf, checkOrigin, SessionStore, type Session } from './pages/_session.js';
import { operationsReader } from './pages/_operations.js';

/** Options of the pages. */
export interface PagesOptions {
  /** Archive root whose free space the monitor shows. */
  archiveRoot?: string;
  /** A file unchanged this long in a non-final state is listed as stuck. @default 900000 (15 min) */
  stuckAfterMs?: number;
  /**
   * Directory of the session signing key (`session-key`) and of the sessions ended by a logout
   * (`sessions-revoked.json`); sessions survive a restart while it is kept. Hosts sharing it share sessions.
   * @default `<uploads>/ui`
   */
  sessionDir?: string;
  /** Session lifetime. @default 43200000 (12 h) */
  sessionTtlMs?: number;
  /** Unsent event-stream bytes past which a slow client's events are dropped. @default 262144 */
  maxBufferedBytes?: number;
  /** At most this many event-stream clients. @default 1000 */
  maxClients?: number;
}

/** A file of an installed package, resolved from this module's location. */
const packageFile = (name: string): string => createRequire(import.meta.url).resolve(name);
const NIGHT = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const STATIC: Record<string, { type: string; body: () => Promise<string | Buffer> }> = {
  'uPlot.iife.min.js': { type: 'text/javascript', body: () => readFile(packageFile('uplot/dist/uPlot.iife.min.js')) },
  'uPlot.min.css': { type: 'text/css', body: () => readFile(packageFile('uplot/dist/uPlot.min.css')) },
  'style.css': { type: 'text/css', body: async () => STYLE_CSS },
  'common.js': { type: 'text/javascript', body: async () => COMMON_JS },
  'monitor.js': { type: 'text/javascript', body: async () => MONITOR_JS },
  'portal.js': { type: 'text/javascript', body: async () => PORTAL_JS },
};

/** True when a principal may see the monitor: a token of every program with the read or admin scope. */
const mayMonitor = (p: Principal) => (p.programs ?? '*') === '*' && (p.scopes.has('read') || isAdmin(p));
const programsOf = (p: Principal) => ((p.programs ?? '*') === '*' ? 'all' : [...(p.programs as ReadonlySet<string>)].join(', '));

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new IngestError('PAYLOAD_TOO_LARGE', `the form is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const html = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => void res.writeHead(status, { ...PAGE_HEADERS, ...headers }).end(body);
const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}): void => void res.writeHead(303, { location: to, 'cache-control': 'no-store', ...headers }).end();

/** The pages of one server. */
export interface Pages {
  /** Handles `req` when its path is under `/ui` (or is `/`); false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean>;
  /** Tells the live pages about a release. */
  released(release: Release): void;
  readonly feed: LiveFeed;
  close(): void;
}

/** Creates the pages around the server's services. */
export function createPages(deps: { ingestor: Ingestor; tokens: TokenStore; services: Services; logger: Logger; secure: () => boolean; stateDir: string; options: PagesOptions }): Pages {
  const { ingestor, tokens, services: s, logger, options } = deps;
  const catalog = ingestor.catalog;
  const sessionDir = options.sessionDir ?? deps.stateDir;
  const sessions = new SessionStore({ keyFile: join(sessionDir, 'session-key'), revokedFile: join(sessionDir, 'sessions-revoked.json') }, (sha, now) => tokens.byDigest(sha, now), options.sessionTtlMs);
  const feed = new LiveFeed({ now: s.now, ...(options.maxBufferedBytes ? { maxBufferedBytes: options.maxBufferedBytes } : {}), ...(options.maxClients ? { maxClients: options.maxClients } : {}) });
  const stuckAfterMs = options.stuckAfterMs ?? 900_000;
  const operations = operationsReader({ catalog, processing: s.processing, quickLook: s.quickLook, archiveRoot: options.archiveRoot });

  const onState = (record: FileRecord, entry: HistoryEntry) => {
    if (entry.to === 'ARCHIVED') return; // announced with its archived file (program, release date) below
    feed.publish({ type: 'state', readable: { instrument: record.instrument ?? null }, data: { ...fileRow(record, undefined, s.now()), from: entry.from, cause: entry.cause, actor: entry.actor } });
  };
  const onArchived = (record: FileRecord, file: ArchivedFile) => {
    const readable = { instrument: file.instrument, program: file.program ?? null, releaseDate: releaseDateOf(record, file) ?? null };
    feed.publish({ type: 'archived', readable, data: { ...fileRow(record, file, s.now()), from: 'TRANSFERRED', cause: 'ARCHIVED' } });
  };
  ingestor.on('state', onState).on('archived', onArchived);

  const unknown = (archiveId: string) => refusal(new IngestError('NOT_FOUND', `the archive knows nothing under ${archiveId}`, { context: { archiveId } }));
  /** The archived file under an id, when `principal` may read it; otherwise the answer for an unknown id. */
  async function readableFile(principal: Principal, archiveId: string): Promise<{ record: FileRecord; file: ArchivedFile }> {
    const file = ID.test(archiveId) ? await catalog.getArchived(archiveId) : undefined;
    const record = file && (await catalog.getRecord(file.recordId));
    if (!file || !record || !mayRead(principal, await readableOf(catalog, record, file), s.now())) throw unknown(archiveId);
    return { record, file };
  }
  const night = async (query: URLSearchParams) => {
    const asked = query.get('night');
    if (asked !== null && !NIGHT.test(asked)) throw new IngestError('BAD_REQUEST', 'night is YYYY-MM-DD', { context: { field: 'night' } });
    return asked ?? (await currentNight(catalog, s.now()));
  };

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkOrigin(req);
    const form = new URLSearchParams(await readBody(req, 4096));
    let principal: Principal;
    try {
      principal = tokens.authenticate(`Bearer ${form.get('token') ?? ''}`, s.now());
    } catch {
      // Never log what was typed.
      logger.warn('page login refused', { remote: req.socket.remoteAddress });
      return html(res, 401, loginPage('Unknown or expired token.'));
    }
    if (!principal.scopes.has('read') && !isAdmin(principal)) return html(res, 403, loginPage('This token may not read (it lacks the read scope).'));
    const session = sessions.create(principal, bearerDigest(`Bearer ${form.get('token') ?? ''}`)!, s.now());
    logger.info('page login', { site: principal.site });
    redirect(res, '/ui/', { 'set-cookie': sessions.cookie(session, deps.secure()) });
  }

  async function action(req: IncomingMessage, res: ServerResponse, session: Session, name: string): Promise<void> {
    checkCsrf(req, session);
    if (!isAdmin(session.principal)) throw new IngestError('FORBIDDEN', `the token of ${session.principal.site} lacks the "admin" scope`);
    const body = JSON.parse((await readBody(req, 4096)) || '{}') as { recordId?: unknown; archiveId?: unknown; requestId?: unknown };
    const actor = `operator:${session.principal.site}`;
    if (name === 'cancel') {
      if (!s.processing) throw new IngestError('NOT_FOUND', 'this server offers no reprocessing');
      const id = typeof body.requestId === 'string' && ID.test(body.requestId) ? body.requestId : '';
      const cancelled = await s.processing.cancel(id, actor);
      logger.info('request cancelled from the monitor', { requestId: cancelled.id, actor });
      return sendJson(res, 200, { requestId: cancelled.id, state: cancelled.state, message: `request ${cancelled.id} cancelled` });
    }
    if (name === 'requeue') {
      const id = typeof body.recordId === 'string' ? body.recordId : '';
      const record = ID.test(id) ? await catalog.getRecord(id) : undefined;
      if (!record) throw new IngestError('NOT_FOUND', `no record ${id}`);
      const next = await ingestor.requeue(record.id, actor);
      logger.info('requeued from the monitor', { recordId: record.id, actor });
      return sendJson(res, 200, { recordId: next.id, state: next.state, message: `${record.originalName} requeued` });
    }
    const archiveId = typeof body.archiveId === 'string' ? body.archiveId : '';
    const { file } = await readableFile(session.principal, archiveId);
    const path = await reingestSource(file);
    if (!path) throw new IngestError('FILE_NOT_FOUND', `neither the source nor an archived copy of ${archiveId} is readable here`, { context: { archiveId } });
    const submitted = await ingestor.reingest(path, actor);
    logger.info('reingest from the monitor', { archiveId, recordId: submitted.record.id, actor });
    sendJson(res, 200, { recordId: submitted.record.id, state: submitted.record.state, message: `${archiveId} reingest started` });
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (path.startsWith('/ui/static/') && method === 'GET') {
      const asset = STATIC[path.slice('/ui/static/'.length)];
      if (!asset) throw new IngestError('NOT_FOUND', `no page asset ${path}`);
      const body = await asset.body();
      res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (path === '/ui/login') {
      if (method === 'POST') return login(req, res);
      return html(res, 200, loginPage());
    }
    const session = sessions.of(req, s.now());
    const api = path.startsWith('/ui/api/') || path.startsWith('/ui/actions/') || path === '/ui/events' || path.startsWith('/ui/files/');
    if (!session) {
      if (api) throw new IngestError('UNAUTHORIZED', 'log in first (POST /ui/login)');
      return redirect(res, '/ui/login');
    }
    const principal = session.principal;
    if (path === '/ui/logout' && method === 'POST') {
      const form = new URLSearchParams(await readBody(req, 4096));
      if (form.get('csrf') !== session.csrf) throw new IngestError('FORBIDDEN', 'missing or wrong CSRF token: reload the page');
      sessions.delete(session, s.now());
      return redirect(res, '/ui/login', { 'set-cookie': sessions.cookie(undefined, deps.secure()) });
    }
    if (method === 'POST' && path.startsWith('/ui/actions/')) {
      const name = path.slice('/ui/actions/'.length);
      if (name !== 'requeue' && name !== 'reingest' && name !== 'cancel') throw new IngestError('NOT_FOUND', `no action ${name}`);
      return action(req, res, session, name);
    }
    if (method !== 'GET' && method !== 'HEAD') throw new IngestError('BAD_REQUEST', `${method} is not allowed on ${path}`);
    if (path === '/ui' || path === '/ui/') return redirect(res, mayMonitor(principal) ? '/ui/monitor' : '/ui/portal');
    if (path === '/ui/monitor') {
      if (!mayMonitor(principal)) return redirect(res, '/ui/portal');
      return html(res, 200, monitorPage(principal.site, session.csrf, isAdmin(principal)));
    }
    if (path === '/ui/portal') return html(res, 200, portalPage(principal.site, session.csrf, mayMonitor(principal), programsOf(principal)));
    if (path === '/ui/events') {
      if (!feed.attach(res, principal)) throw new IngestError('SERVER_ERROR', 'too many event-stream clients; try again later');
      return;
    }
    if (path === '/ui/api/monitor') {
      if (!mayMonitor(principal)) throw new IngestError('FORBIDDEN', `the token of ${principal.site} is limited to some programs: use the portal`);
      return sendJson(res, 200, await monitorSnapshot(catalog, principal, s.now(), { ...(query.has('night') ? { night: await night(query) } : {}), ...(options.archiveRoot ? { archiveRoot: options.archiveRoot } : {}), stuckAfterMs }));
    }
    if (path === '/ui/api/operations') {
      if (!mayMonitor(principal)) throw new IngestError('FORBIDDEN', `the token of ${principal.site} is limited to some programs: use the portal`);
      return sendJson(res, 200, await operations(s.now()));
    }
    if (path === '/ui/api/files') {
      const n = await night(query);
      return sendJson(res, 200, { night: n, files: await nightFiles(catalog, principal, s.now(), n) });
    }
    if (path === '/ui/api/weather') {
      const n = await night(query);
      return sendJson(res, 200, { night: n, weather: await nightWeather(catalog, principal, s.now(), n) });
    }
    const file = /^\/ui\/(?:api\/)?files\/([^/]+)(\/thumbnail\.png|\/content)?$/.exec(path);
    if (file) {
      const archiveId = file[1]!;
      const { file: archived } = await readableFile(principal, archiveId);
      if (file[2] === '/content') {
        return content({ req, res, params: [archiveId], query, principal, proceed: () => {} }, s);
      }
      if (file[2] === '/thumbnail.png') {
        const png = await thumbnailPng(archived);
        if (!png) throw new IngestError('NOT_FOUND', `${archiveId} has no image to show`);
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'private, max-age=3600' }).end(png);
        return;
      }
      const record = await recordForArchiveId(catalog, archiveId);
      const view = record ? await fileView(catalog, archiveId, undefined, `/ui/files/${archiveId}/content`) : undefined;
      return sendJson(res, 200, { archiveId, header: archived.header, history: view?.history ?? [], file: view?.ingest ?? null });
    }
    throw new IngestError('NOT_FOUND', `no page ${path}`);
  }

  return {
    feed,
    async handle(req, res, path, query) {
      if (path === '/') {
        redirect(res, '/ui/');
        return true;
      }
      if (path !== '/ui' && !path.startsWith('/ui/')) return false;
      await route(req, res, path, query);
      return true;
    },
    released({ record, file }) {
      feed.publish({ type: 'released', readable: { instrument: file.instrument, program: file.program ?? null, releaseDate: releaseDateOf(record, file) ?? null }, data: { ...fileRow(record, file, s.now()) } });
    },
    close() {
      ingestor.off('state', onState).off('archived', onArchived);
      feed.close();
    },
  };
}
