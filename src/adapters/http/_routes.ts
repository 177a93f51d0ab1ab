/**
 * The endpoints of the ingest server: one table of method, path, scope and handler (docs/openapi.yaml documents
 * the same table; a test keeps them equal). Path parameters are matched by strict patterns before any handler
 * runs, so no handler sees an id it did not expect. Internal to src/adapters/http.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { IngestError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import { isAdmin, mayRead, refusal, type Principal } from './_auth.js';
import { extendProprietary, readableOf } from './_embargo.js';
import { releasedEvent } from './_feed.js';
import { contentLength, readJson, sendJson, validate } from './_http.js';
import { deleteIdle, listIdle } from './_idle.js';
import { API, HEADERS, ingestRequestSchema, productsRequestSchema, fileMetaSchema, type FileMeta } from './protocol.js';
import type { ReceivedFile } from './_received.js';
import { fileView, nightView, recordForArchiveId } from './_status.js';
import { admitFor, authorizeDeclared, receiveFile, presentOrConflict, receivedBody, wantsFileBody } from './_receive.js';
import { FEED_ROUTES } from './_routes-feed.js';
import { CATALOG_ROUTES, productsOf } from './_routes-catalog.js';
import { HELD_ROUTES } from './_routes-held.js';
import { PROCESSING_ROUTES } from './_routes-processing.js';
import { QUICKLOOK_ROUTES } from './_routes-quicklook.js';
import { PROGRAM_ROUTES } from './_routes-programs.js';
import type { Route, RouteContext, Services } from './_route-types.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import type { ArchivedFile } from '../../core/ports/catalog.js';
import { z } from 'zod';

const proprietaryRequestSchema = z.strictObject({
  /** The new first public day, YYYY-MM-DD (UT). */
  until: z.iso.date(),
  /** Why (kept in the file's history). */
  reason: z.string().max(500).optional(),
});


const waitSeconds = (s: Services, asked: number): number => Math.min(asked, s.limits.maxWaitSeconds);
const siteFilter = (p: Principal) => (p.scopes.has('admin') ? undefined : p.site);

async function createUpload(ctx: RouteContext, s: Services): Promise<void> {
  if (wantsFileBody(ctx.req)) return receiveFile(ctx, s);
  ctx.proceed();
  const meta: FileMeta = validate(fileMetaSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/uploads');
  authorizeDeclared(ctx.principal, meta.instrument);
  if (meta.size > s.limits.maxUploadBytes) {
    throw new IngestError('PAYLOAD_TOO_LARGE', `the file has ${meta.size} bytes; this archive accepts at most ${s.limits.maxUploadBytes}`, { context: { file: meta.name } });
  }
  const present = await presentOrConflict(meta, s, ctx.principal);
  if (present) return sendJson(ctx.res, 200, receivedBody(present, meta, null));
  const { uploadId, offset } = await s.uploads.create(meta, ctx.principal.site, s.now());
  sendJson(ctx.res, 201, { status: 'created', uploadId, offset, size: meta.size }, { location: `${API}/uploads/${uploadId}`, [HEADERS.offset]: String(offset) });
}

async function headUpload(ctx: RouteContext, s: Services): Promise<void> {
  const { offset, meta } = await s.uploads.head(ctx.params[0]!, siteFilter(ctx.principal));
  ctx.res.writeHead(200, { [HEADERS.offset]: String(offset), [HEADERS.length]: String(meta.size), 'cache-control': 'no-store' }).end();
}

async function getUpload(ctx: RouteContext, s: Services): Promise<void> {
  const { offset, meta } = await s.uploads.head(ctx.params[0]!, siteFilter(ctx.principal));
  sendJson(ctx.res, 200, { uploadId: ctx.params[0], offset, size: meta.size, sha256: meta.sha256, name: meta.name }, { [HEADERS.offset]: String(offset) });
}

async function patchUpload(ctx: RouteContext, s: Services): Promise<void> {
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/offset+octet-stream' && type !== 'application/octet-stream') {
    throw new IngestError('BAD_REQUEST', `PATCH bodies are Content-Type: application/offset+octet-stream, got ${type || '(none)'}`);
  }
  const header = ctx.req.headers[HEADERS.offset];
  if (typeof header !== 'string' || !/^\d{1,16}$/.test(header)) throw new IngestError('BAD_REQUEST', 'PATCH needs an Upload-Offset header (the byte the body starts at)');
  const id = ctx.params[0]!;
  await s.uploads.head(id, siteFilter(ctx.principal), 0).catch((error: unknown) => {
    if (!(error instanceof IngestError && error.code === 'UPLOAD_BUSY')) throw error;
  });
  ctx.proceed();
  const result = await s.uploads.append(id, Number(header), ctx.req, contentLength(ctx.req), s.now, admitFor(ctx, s));
  const headers = { [HEADERS.offset]: String(result.offset) };
  if (!result.received) return void ctx.res.writeHead(204, headers).end();
  sendJson(ctx.res, 200, receivedBody(result.received, result.received, null), headers);
}

async function deleteUpload(ctx: RouteContext, s: Services): Promise<void> {
  await deleteIdle(ctx.principal, ctx.params[0]!, s.uploads, s.ingest);
  ctx.res.writeHead(204).end();
}

async function listUploads(ctx: RouteContext, s: Services): Promise<void> {
  sendJson(ctx.res, 200, { ttlMs: s.limits.uploadTtlMs, uploads: await listIdle(ctx.principal, s.uploads, s.ingest, s.limits.uploadTtlMs) });
}

async function ingest(ctx: RouteContext, s: Services): Promise<void> {
  ctx.proceed();
  const request = validate(ingestRequestSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/ingest');
  authorizeDeclared(ctx.principal, request.instrument);
  const submitted = await s.ingest.ingest(ctx.principal, request);
  const status = submitted.final ? submitted : await s.ingest.wait(submitted.recordId, waitSeconds(s, request.wait));
  sendJson(ctx.res, status.final ? 200 : 202, { ...status, alreadyArchived: submitted.alreadyArchived });
}

/** The `wait` query parameter, in seconds. */
function queryWait(ctx: RouteContext): number {
  const wait = Number(ctx.query.get('wait') ?? '0');
  if (!Number.isFinite(wait) || wait < 0) throw new IngestError('BAD_REQUEST', 'wait is a number of seconds', { context: { field: 'wait' } });
  return wait;
}

async function ingestStatus(ctx: RouteContext, s: Services): Promise<void> {
  const id = ctx.params[0]!;
  const catalog = s.ingest.catalog;
  const readable = async () => {
    const record = await catalog.getRecord(id);
    return !record || mayRead(ctx.principal, await readableOf(catalog, record), s.now());
  };
  if (!(await readable())) throw refusal(new IngestError('NOT_FOUND', `no ingestion ${id}`));
  const status = await s.ingest.wait(id, waitSeconds(s, queryWait(ctx)));
  if (!(await readable())) throw refusal(new IngestError('NOT_FOUND', `no ingestion ${id}`));
  sendJson(ctx.res, 200, status);
}

async function products(ctx: RouteContext, s: Services): Promise<void> {
  ctx.proceed();
  const request = validate(productsRequestSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/products');
  for (const product of request.products) authorizeDeclared(ctx.principal, product.instrument);
  const result = await s.ingest.products(ctx.principal, request);
  const wait = waitSeconds(s, request.wait);
  const statuses = wait > 0 ? await Promise.all(result.products.map((p) => (p.final ? p : s.ingest.wait(p.recordId, wait)))) : result.products;
  sendJson(ctx.res, request.hold ? 202 : 200, { ...result, products: statuses });
}

async function release(ctx: RouteContext, s: Services): Promise<void> {
  const wait = waitSeconds(s, queryWait(ctx));
  const result = await s.ingest.release(ctx.principal, ctx.params[0]!);
  if (result.released.length > 0) await s.feed.append(releasedEvent(ctx.principal.site, result.night, result.released, s.now()));
  const released = wait > 0 ? await Promise.all(result.released.map((p) => (p.final ? p : s.ingest.wait(p.recordId, wait)))) : result.released;
  sendJson(ctx.res, 200, { ...result, released });
}

async function night(ctx: RouteContext, s: Services): Promise<void> {
  const n = ctx.params[0]!;
  const catalog = s.ingest.catalog;
  const now = s.now();
  const program = ctx.query.get('program')?.toUpperCase();
  const readable = async (record: FileRecord, archived?: ArchivedFile) => {
    if (program !== undefined && archived?.program?.toUpperCase() !== program) return false;
    return mayRead(ctx.principal, await readableOf(catalog, record, archived), now);
  };
  sendJson(ctx.res, 200, await nightView(catalog, n, await s.ingest.heldCount(n, ctx.principal), readable));
}

async function file(ctx: RouteContext, s: Services): Promise<void> {
  const archiveId = ctx.params[0]!;
  const view = await fileView(s.ingest.catalog, archiveId, s.uploads.received.forArchiveId(archiveId), `${API}/files/${archiveId}/content`);
  const unknown = () => new IngestError('NOT_FOUND', `the archive knows nothing under ${archiveId}`, { context: { archiveId } });
  if (!view) throw unknown();
  // Another instrument's file, or another program's before its release, is for this token not there: the same
  // answer as an unknown id.
  const received = s.uploads.received.forArchiveId(archiveId);
  const record = await recordForArchiveId(s.ingest.catalog, archiveId);
  const readable = record ? await readableOf(s.ingest.catalog, record) : { instrument: received?.instrument ?? null };
  if (!mayRead(ctx.principal, readable, s.now())) throw refusal(unknown());
  sendJson(ctx.res, 200, { ...view, products: await productsOf(s, ctx.principal, archiveId) });
}

export async function content(ctx: RouteContext, s: Services): Promise<void> {
  const archiveId = ctx.params[0]!;
  const record = await recordForArchiveId(s.ingest.catalog, archiveId);
  const archived = record?.state === 'ARCHIVED' ? await s.ingest.catalog.getArchived(archiveId) : undefined;
  let source: { path: string; sha256: string; instrument: string | undefined; program?: string | undefined; releaseDate?: string | null } | undefined;
  for (const location of archived?.locations ?? []) {
    if (location.uri.startsWith('/') && (await stat(location.uri).then((st) => st.isFile(), () => false))) {
      const { program, releaseDate } = await readableOf(s.ingest.catalog, record!, archived);
      source = { path: location.uri, sha256: archived!.sha256, instrument: archived!.instrument, program: program ?? undefined, releaseDate };
      break;
    }
  }
  const received: ReceivedFile | undefined = source ? undefined : s.uploads.received.forArchiveId(archiveId);
  source ??= received && { path: received.path, sha256: received.sha256, instrument: received.instrument };
  const unknown = () => new IngestError('NOT_FOUND', `the archive holds no bytes under ${archiveId}`, { context: { archiveId } });
  if (!source) throw unknown();
  if (!mayRead(ctx.principal, source, s.now())) throw refusal(unknown());
  const { size } = await stat(source.path);
  const headers = { 'content-type': 'application/fits', 'accept-ranges': 'bytes', 'repr-digest': `sha-256=:${Buffer.from(source.sha256, 'hex').toString('base64')}:` };
  // `Range: bytes=N-` resumes a broken download (the digest is always the whole file's).
  const range = /^bytes=(\d{1,16})-$/.exec(String(ctx.req.headers.range ?? ''));
  const start = range ? Number(range[1]) : 0;
  if (range && start >= size && size > 0) {
    return void ctx.res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
  }
  if (range) ctx.res.writeHead(206, { ...headers, 'content-length': String(size - start), 'content-range': `bytes ${start}-${Math.max(start, size - 1)}/${size}` });
  else ctx.res.writeHead(200, { ...headers, 'content-length': String(size) });
  createReadStream(source.path, { start }).on('error', () => ctx.res.destroy()).pipe(ctx.res);
}

async function proprietary(ctx: RouteContext, s: Services): Promise<void> {
  ctx.proceed();
  const body = validate(proprietaryRequestSchema, await readJson(ctx.req, s.limits.maxJsonBytes), 'POST /v1/files/{archiveId}/proprietary');
  if (!isAdmin(ctx.principal)) throw new IngestError('FORBIDDEN', `the token of ${ctx.principal.site} lacks the "admin" scope`);
  const record = await extendProprietary(s.ingest.catalog, ctx.params[0]!, body.until, `operator:${ctx.principal.site}`, s.now(), body.reason);
  sendJson(ctx.res, 200, { archiveId: ctx.params[0], releaseDate: body.until, recordId: record.id });
}

async function health(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, { ok: true, version: VERSION, api: API });
}

/** Every endpoint. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: `${API}/health`, scopes: null, handler: health },
  { method: 'GET', path: `${API}/uploads`, scopes: ['push'], handler: listUploads },
  { method: 'POST', path: `${API}/uploads`, scopes: ['push'], handler: createUpload },
  { method: 'HEAD', path: `${API}/uploads/{uploadId}`, scopes: ['push'], handler: headUpload },
  { method: 'GET', path: `${API}/uploads/{uploadId}`, scopes: ['push'], handler: getUpload },
  { method: 'PATCH', path: `${API}/uploads/{uploadId}`, scopes: ['push'], handler: patchUpload },
  { method: 'DELETE', path: `${API}/uploads/{uploadId}`, scopes: ['push'], handler: deleteUpload },
  { method: 'POST', path: `${API}/ingest`, scopes: ['push'], handler: ingest },
  { method: 'GET', path: `${API}/ingest/{recordId}`, scopes: ['push', 'read'], handler: ingestStatus },
  { method: 'POST', path: `${API}/products`, scopes: ['push'], handler: products },
  { method: 'POST', path: `${API}/nights/{night}/release`, scopes: ['push'], handler: release },
  { method: 'GET', path: `${API}/nights/{night}`, scopes: ['read'], handler: night },
  { method: 'GET', path: `${API}/files/{archiveId}`, scopes: ['push', 'read'], handler: file },
  { method: 'GET', path: `${API}/files/{archiveId}/content`, scopes: ['read'], handler: content },
  { method: 'POST', path: `${API}/files/{archiveId}/proprietary`, scopes: ['admin'], handler: proprietary },
  ...FEED_ROUTES,
  ...CATALOG_ROUTES,
  ...HELD_ROUTES,
  ...PROCESSING_ROUTES,
  ...QUICKLOOK_ROUTES,
  ...PROGRAM_ROUTES,
];

