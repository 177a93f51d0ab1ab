/**
 * Held batches: `GET /v1/nights/{night}/held` lists the products a token's site holds for a night (an admin: every
 * site's), `DELETE /v1/nights/{night}/held/{name}` withdraws one. Internal to src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import { sendJson } from './_http.js';
import { API, SHA256 } from './protocol.js';
import type { Route, RouteContext, Services } from './_route-types.js';

async function listHeld(ctx: RouteContext, s: Services): Promise<void> {
  const night = ctx.params[0]!;
  const held = await s.ingest.heldProducts(ctx.principal, night);
  sendJson(ctx.res, 200, { night, held: held.map((h) => ({ ...h, heldAt: new Date(h.heldAt).toISOString() })) });
}

async function withdrawHeld(ctx: RouteContext, s: Services): Promise<void> {
  const sha256 = ctx.query.get('sha256') ?? undefined;
  if (sha256 !== undefined && !SHA256.test(sha256)) throw new IngestError('BAD_REQUEST', 'sha256 is 64 lower-case hex digits', { context: { field: 'sha256' } });
  await s.ingest.withdraw(ctx.principal, ctx.params[0]!, ctx.params[1]!, sha256);
  ctx.res.writeHead(204).end();
}

/** The held-batch endpoints. */
export const HELD_ROUTES: readonly Route[] = [
  { method: 'GET', path: `${API}/nights/{night}/held`, scopes: ['push'], handler: listHeld },
  { method: 'DELETE', path: `${API}/nights/{night}/held/{name}`, scopes: ['push'], handler: withdrawHeld },
];
