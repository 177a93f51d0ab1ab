/**
 * The feed endpoints: `GET /v1/events` (a page after a cursor, long-poll with `wait`), `GET /v1/events/stream`
 * (Server-Sent Events resuming from `Last-Event-ID`), and webhook subscriptions (`/v1/subscriptions`). Every
 * reader sees only the events its token may read. Internal to src/adapters/http.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import { EVENT_KINDS, type ArchiveEventKind, type EventFilter } from '../../core/ports/archive-events.js';
import { instrumentByName } from '../../core/instruments/find-instrument.js';
import { bearerDigest } from './_auth.js';
import { readJson, sendJson, validate } from './_http.js';
import { API } from './protocol.js';
import type { Route, RouteContext, Services } from './_route-types.js';
import { withUrls } from './_subscriptions.js';

const MAX_LIMIT = 1000;

/** The instrument's archived name, from a name or alias (BAD_REQUEST when no description has it). */
function instrumentName(s: Services, name: string): string {
  const found = instrumentByName(s.ingest.instruments, name);
  if (!found) throw new IngestError('BAD_REQUEST', `no instrument ${name} in this archive`, { context: { field: 'instrument' } });
  return found.name;
}

const filterSchema = z.strictObject({
  instrument: z.string().min(1).max(64).optional(),
  level: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  program: z.string().min(1).max(64).optional(),
  imageType: z.string().min(1).max(64).optional(),
  kinds: z.array(z.enum(EVENT_KINDS)).min(1).optional(),
});

/** The filter of a request's query (`instrument`, `level`, `program`, `imagetype`, `kind=a,b`). */
function queryFilter(ctx: RouteContext, s: Services): EventFilter {
  const q = ctx.query;
  const level = q.get('level');
  const kinds = q.get('kind') ?? q.get('kinds');
  const filter = validate(filterSchema, {
    instrument: q.get('instrument') ?? undefined,
    level: level === null ? undefined : Number(level),
    program: q.get('program') ?? undefined,
    imageType: q.get('imagetype') ?? q.get('imageType') ?? undefined,
    kinds: kinds === null ? undefined : kinds.split(','),
  }, 'the event filter');
  return resolveFilter(s, filter);
}

function resolveFilter(s: Services, filter: z.output<typeof filterSchema>): EventFilter {
  const out: EventFilter = {};
  if (filter.instrument !== undefined) out.instrument = instrumentName(s, filter.instrument);
  if (filter.level !== undefined) out.level = filter.level;
  if (filter.program !== undefined) out.program = filter.program;
  if (filter.imageType !== undefined) out.imageType = filter.imageType;
  if (filter.kinds !== undefined) out.kinds = filter.kinds as ArchiveEventKind[];
  return out;
}

function integer(text: string | null | undefined, field: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === null || text === undefined || text === '') return fallback;
  if (!/^\d{1,16}$/.test(text.trim()) || Number(text) > max) throw new IngestError('BAD_REQUEST', `${field} is a whole number up to ${max}`, { context: { field } });
  return Number(text);
}

function waitMs(ctx: RouteContext, s: Services): number {
  const wait = Number(ctx.query.get('wait') ?? '0');
  if (!Number.isFinite(wait) || wait < 0) throw new IngestError('BAD_REQUEST', 'wait is a number of seconds', { context: { field: 'wait' } });
  return Math.min(wait, s.limits.maxWaitSeconds) * 1000;
}

async function events(ctx: RouteContext, s: Services): Promise<void> {
  const filter = queryFilter(ctx, s);
  const after = integer(ctx.query.get('after'), 'after', 0);
  const limit = Math.max(1, integer(ctx.query.get('limit'), 'limit', 100, MAX_LIMIT));
  const page = await s.feed.read(ctx.principal, filter, after, limit, waitMs(ctx, s));
  sendJson(ctx.res, 200, { events: page.events.map((e) => withUrls(e, API)), cursor: page.cursor });
}

/** Ends every open event stream of a server (it is closing). */
export function endStreams(streams: Set<ServerResponse>): void {
  for (const res of streams) res.end();
  streams.clear();
}

async function stream(ctx: RouteContext, s: Services): Promise<void> {
  const filter = queryFilter(ctx, s);
  const last = ctx.req.headers['last-event-id'];
  const given = typeof last === 'string' && last !== '' ? last : ctx.query.get('after');
  // Without a cursor the stream starts at the newest event: live events only.
  let cursor = given === null ? (await s.feed.read(ctx.principal, { kinds: [] }, 0, 1, 0)).cursor : integer(given, 'Last-Event-ID', 0);
  const { res } = ctx;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.write(`retry: 2000\n: events after ${cursor}\n\n`);
  let open = true;
  res.on('close', () => (open = false));
  s.streams.add(res);
  try {
    while (open && !res.writableEnded && !s.feed.closed) {
      const page = await s.feed.read(ctx.principal, filter, cursor, 100, 15_000);
      cursor = page.cursor;
      if (!open || res.writableEnded) break;
      if (page.events.length === 0) res.write(': keep-alive\n\n');
      for (const e of page.events) res.write(`id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify(withUrls(e, API))}\n\n`);
    }
  } finally {
    s.streams.delete(res);
    if (!res.writableEnded) res.end();
  }
}

const subscribeSchema = z.strictObject({
  /** Where the events are POSTed. */
  url: z.url({ protocol: /^https?$/ }),
  /** HMAC secret of the signature; made by the server (and answered once) when not given. */
  secret: z.string().min(16).max(256).optional(),
  filter: filterSchema.default({}),
  /** Deliver the events after this seq (0: the whole log); default: from the newest event on. */
  after: z.int().min(0).optional(),
});

async function subscribe(ctx: RouteContext, s: Services): Promise<void> {
  ctx.proceed();
  const body = validate(subscribeSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/subscriptions');
  const created = await s.subscriptions.add(ctx.principal, bearerDigest(ctx.req.headers.authorization), {
    url: body.url,
    secret: body.secret,
    filter: resolveFilter(s, body.filter),
    after: body.after,
  });
  const { tokenSha256: _token, ...shown } = created;
  sendJson(ctx.res, 201, shown, { location: `${API}/subscriptions/${created.id}` });
}

async function listSubscriptions(ctx: RouteContext, s: Services): Promise<void> {
  sendJson(ctx.res, 200, { subscriptions: await s.subscriptions.list(ctx.principal) });
}

async function getSubscription(ctx: RouteContext, s: Services): Promise<void> {
  sendJson(ctx.res, 200, await s.subscriptions.get(ctx.principal, ctx.params[0]!));
}

async function deleteSubscription(ctx: RouteContext, s: Services): Promise<void> {
  await s.subscriptions.remove(ctx.principal, ctx.params[0]!);
  ctx.res.writeHead(204).end();
}

/** The feed's endpoints. */
export const FEED_ROUTES: readonly Route[] = [
  { method: 'GET', path: `${API}/events`, scopes: ['read'], handler: events },
  { method: 'GET', path: `${API}/events/stream`, scopes: ['read'], handler: stream },
  { method: 'POST', path: `${API}/subscriptions`, scopes: ['read'], handler: subscribe },
  { method: 'GET', path: `${API}/subscriptions`, scopes: ['read'], handler: listSubscriptions },
  { method: 'GET', path: `${API}/subscriptions/{subscriptionId}`, scopes: ['read'], handler: getSubscription },
  { method: 'DELETE', path: `${API}/subscriptions/{subscriptionId}`, scopes: ['read'], handler: deleteSubscription },
];
