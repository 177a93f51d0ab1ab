/**
 * A program's collaborators: `GET|POST /v1/programs/{program}/collaborators` and
 * `DELETE /v1/programs/{program}/collaborators/{site}`, for the program's PI or an admin (see {@link GrantService}).
 * Internal to src/adapters/http.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import { readJson, sendJson, validate } from './_http.js';
import { API } from './protocol.js';
import type { Route, RouteContext, Services } from './_route-types.js';

const grantRequestSchema = z.strictObject({ site: z.string().min(1).max(64) });

function grants(s: Services) {
  if (!s.grants) throw new IngestError('UNSUPPORTED_OPERATION', 'this server keeps no program grants');
  return s.grants;
}
const view = (g: { program: string; site: string; grantedBy: string; grantedAt: number }) => ({ ...g, grantedAt: new Date(g.grantedAt).toISOString() });

async function list(ctx: RouteContext, s: Services): Promise<void> {
  const program = ctx.params[0]!;
  sendJson(ctx.res, 200, { program: program.toUpperCase(), collaborators: (await grants(s).list(ctx.principal, program)).map(view) });
}

async function add(ctx: RouteContext, s: Services): Promise<void> {
  ctx.proceed();
  const body = validate(grantRequestSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/programs/{program}/collaborators');
  const added = await grants(s).grant(ctx.principal, ctx.params[0]!, body.site);
  sendJson(ctx.res, added ? 201 : 200, { program: ctx.params[0]!.toUpperCase(), site: body.site, added });
}

async function remove(ctx: RouteContext, s: Services): Promise<void> {
  if (!(await grants(s).revoke(ctx.principal, ctx.params[0]!, ctx.params[1]!))) {
    throw new IngestError('NOT_FOUND', `site ${ctx.params[1]} holds no grant of ${ctx.params[0]!.toUpperCase()}`);
  }
  ctx.res.writeHead(204).end();
}

/** The collaborator endpoints. */
export const PROGRAM_ROUTES: readonly Route[] = [
  { method: 'GET', path: `${API}/programs/{program}/collaborators`, scopes: ['read'], handler: list },
  { method: 'POST', path: `${API}/programs/{program}/collaborators`, scopes: ['read'], handler: add },
  { method: 'DELETE', path: `${API}/programs/{program}/collaborators/{site}`, scopes: ['read'], handler: remove },
];
