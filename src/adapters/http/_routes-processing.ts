/**
 * The reprocessing endpoints (docs/processing.md): submit a request, read its status and log, cancel it. A token
 * sees only the requests its site made (admin: all) and may reprocess only the instruments it may read; another
 * site's request is answered as unknown. Products come with the URL of their archived bytes. Internal.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { ProcessingRequest } from '../../core/processing/request.js';
import type { ProcessingService, RequestView } from '../../processing/service.js';
import { isAdmin, mayUse, refusal } from './_auth.js';
import { readJson, sendJson, validate } from './_http.js';
import { API } from './protocol.js';
import type { Route, RouteContext, Services } from './_route-types.js';

const submitSchema = z.strictObject({
  archiveIds: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/)).min(1).max(1000).optional(),
  program: z.string().min(1).max(64).optional(),
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  calibration: z.union([z.literal('latest'), z.number().int().positive()]).default('latest'),
  /** Only admin tokens may raise it above 0. */
  priority: z.number().int().min(0).max(100).default(0),
});

function processing(s: Services): ProcessingService {
  if (!s.processing) throw new IngestError('NOT_FOUND', 'this archive runs no processing service', { hint: 'ask the operator to start the server with processing areas and a pipeline' });
  return s.processing;
}

/** A request as a client sees it: products with their file URLs. */
export function requestBody(r: RequestView | ProcessingRequest): Record<string, unknown> {
  return {
    id: r.id, state: r.state, position: (r as RequestView).position ?? null, requester: r.requester, priority: r.priority,
    inputs: r.inputs.map((i) => i.archiveId), calibration: r.choice ?? null, cached: r.cached ?? false,
    products: r.products.map((archiveId) => ({ archiveId, url: `${API}/files/${archiveId}/content` })),
    error: r.error ?? null, createdAt: r.createdAt, startedAt: r.startedAt ?? null, finishedAt: r.finishedAt ?? null, history: r.history,
    log: `${API}/requests/${r.id}/log`,
  };
}

async function own(ctx: RouteContext, s: Services): Promise<RequestView> {
  const unknown = () => new IngestError('NOT_FOUND', `no request ${ctx.params[0]}`, { hint: 'the id is unknown, or the request is another site\'s' });
  const request = await processing(s).get(ctx.params[0]!).catch(() => undefined);
  if (!request) throw unknown();
  if (!isAdmin(ctx.principal) && request.requester !== ctx.principal.site) throw refusal(unknown());
  return request;
}

async function submit(ctx: RouteContext, s: Services): Promise<void> {
  ctx.proceed();
  const body = validate(submitSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/requests');
  if (body.priority > 0 && !isAdmin(ctx.principal)) throw new IngestError('FORBIDDEN', 'only an admin token may raise a request\'s priority');
  const requests = await processing(s).submit({
    requester: ctx.principal.site, calibration: body.calibration, priority: body.priority, mayUse: (instrument) => mayUse(ctx.principal, instrument),
    ...(body.archiveIds ? { archiveIds: body.archiveIds } : {}), ...(body.program ? { program: body.program } : {}), ...(body.night ? { night: body.night } : {}),
  });
  const views = await Promise.all(requests.map((r) => processing(s).get(r.id)));
  sendJson(ctx.res, 202, { requests: views.map(requestBody) });
}

async function show(ctx: RouteContext, s: Services): Promise<void> {
  sendJson(ctx.res, 200, requestBody(await own(ctx, s)));
}

async function log(ctx: RouteContext, s: Services): Promise<void> {
  const text = (await own(ctx, s)).log;
  ctx.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' }).end(text);
}

async function cancel(ctx: RouteContext, s: Services): Promise<void> {
  const request = await own(ctx, s);
  sendJson(ctx.res, 200, requestBody(await processing(s).cancel(request.id, `site:${ctx.principal.site}`)));
}

/** The reprocessing endpoints. */
export const PROCESSING_ROUTES: readonly Route[] = [
  { method: 'POST', path: `${API}/requests`, scopes: ['read'], handler: submit },
  { method: 'GET', path: `${API}/requests/{requestId}`, scopes: ['read'], handler: show },
  { method: 'GET', path: `${API}/requests/{requestId}/log`, scopes: ['read'], handler: log },
  { method: 'DELETE', path: `${API}/requests/{requestId}`, scopes: ['read'], handler: cancel },
];
