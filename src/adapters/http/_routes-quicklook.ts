/**
 * Quick-look and night close over HTTP (docs/processing.md#quick-look-on-arrival): `GET /v1/quicklook` is the
 * latency readout (file complete → ARCHIVED → quick-look ARCHIVED, frames waiting for masters, nights) over the
 * instruments the token may read; `POST /v1/nights/{night}/close?instrument=` (admin) starts closing a night and
 * answers 202 with its record, `GET` on the same path reads it. Internal.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import { summarize } from '../../core/processing/quicklook.js';
import type { QuickLook } from '../../processing/quicklook.js';
import { mayUse } from './_auth.js';
import { sendJson } from './_http.js';
import { API } from './protocol.js';
import type { Route, RouteContext, Services } from './_route-types.js';

function quickLookOf(s: Services): QuickLook {
  if (!s.quickLook) throw new IngestError('NOT_FOUND', 'this archive runs no quick-look', { hint: 'ask the operator to start the server with --quicklook RULES' });
  return s.quickLook;
}

function nightParams(ctx: RouteContext): { instrument: string; night: string } {
  const night = ctx.params[0]!;
  const instrument = ctx.query.get('instrument');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(night)) throw new IngestError('BAD_REQUEST', `night "${night}" is not YYYY-MM-DD`, { context: { field: 'night' } });
  if (!instrument) throw new IngestError('BAD_REQUEST', 'say which instrument: ?instrument=KCWI', { context: { field: 'instrument' } });
  return { instrument, night };
}

async function status(ctx: RouteContext, s: Services): Promise<void> {
  const ql = quickLookOf(s);
  const instrument = ctx.query.get('instrument') ?? undefined;
  const night = ctx.query.get('night') ?? undefined;
  const frames = (await ql.frames({ ...(instrument ? { instrument } : {}), ...(night ? { night } : {}) })).filter((f) => mayUse(ctx.principal, f.instrument));
  const full = await ql.status({ ...(instrument ? { instrument } : {}), ...(night ? { night } : {}) });
  sendJson(ctx.res, 200, { ...summarize(frames, full.lateAfterMs, s.now()), nights: full.nights.filter((n) => mayUse(ctx.principal, n.instrument)) });
}

async function close(ctx: RouteContext, s: Services): Promise<void> {
  const ql = quickLookOf(s);
  const what = nightParams(ctx);
  const closing = ql.closeNight({ ...what, actor: `site:${ctx.principal.site}` });
  closing.catch(() => {}); // its outcome is read with GET
  // Answer once the close has stored its first step (or failed at once, e.g. a night without frames).
  const first = await Promise.race([closing.then((r) => r), new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
  sendJson(ctx.res, first?.state === 'CLOSED' ? 200 : 202, first ?? (await ql.status(what)).nights[0] ?? { ...what, state: 'OPEN' });
}

async function read(ctx: RouteContext, s: Services): Promise<void> {
  const what = nightParams(ctx);
  if (!mayUse(ctx.principal, what.instrument)) throw new IngestError('NOT_FOUND', `no night ${what.night} of ${what.instrument}`);
  const record = (await quickLookOf(s).status(what)).nights[0];
  if (!record) throw new IngestError('NOT_FOUND', `no quick-look state for ${what.instrument} ${what.night}`);
  sendJson(ctx.res, 200, record);
}

/** The quick-look endpoints. */
export const QUICKLOOK_ROUTES: readonly Route[] = [
  { method: 'GET', path: `${API}/quicklook`, scopes: ['read'], handler: status },
  { method: 'POST', path: `${API}/nights/{night}/close`, scopes: ['admin'], handler: close },
  { method: 'GET', path: `${API}/nights/{night}/close`, scopes: ['read'], handler: read },
];
