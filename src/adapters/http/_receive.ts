/**
 * Receiving a whole file in one request (`POST /v1/uploads` with the bytes as body and the declaration in the
 * query, as `curl --data-binary` sends it), and the checks every upload starts with: bytes the archive already
 * holds are not sent again, and different bytes under a taken archive id are refused. Internal to
 * src/adapters/http.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { IngestError } from '../../core/errors.js';
import { authorize, isAdmin, mayUse, type Principal } from './_auth.js';
import { contentLength, mediaType, queryValue, sendJson, validate } from './_http.js';
import { FILE_CONTENT_TYPES, fileMetaSchema, type FileMeta, type IngestStatus, type Received } from './protocol.js';
import type { ReceivedFile } from './_received.js';
import type { RouteContext, Services } from './_route-types.js';
import { instrumentFor } from './_ownership.js';
import type { Admit } from './_uploads.js';

/** True when a POST /v1/uploads carries file bytes rather than a JSON declaration. */
export function wantsFileBody(req: IncomingMessage): boolean {
  const type = mediaType(req);
  if (type === 'application/json') return false;
  if ((FILE_CONTENT_TYPES as readonly string[]).includes(type)) return true;
  throw new IngestError(
    'BAD_REQUEST',
    `Content-Type ${type || '(none)'}: send application/json to create a resumable upload, or the file as application/fits`,
    { hint: "with curl, add -H 'Content-Type: application/fits' to --data-binary (curl's default is a form)" },
  );
}

/** The answer body once bytes are there. */
export function receivedBody(file: Pick<ReceivedFile, 'sha256' | 'size' | 'name'> & { archiveId?: string | undefined }, meta: Pick<FileMeta, 'archiveId'>, ingest: IngestStatus | null, present = false): Received {
  return { status: present ? 'present' : 'received', sha256: file.sha256, size: file.size, name: file.name, archiveId: meta.archiveId ?? file.archiveId ?? null, ingest };
}

/**
 * What the archive already holds of a declared file: the received file itself, or an archived copy of these
 * bytes (under the declared archive id, when one is declared).
 *
 * @throws IngestError ARCHIVE_ID_CONFLICT when the declared archive id holds other bytes and `replace` is not set.
 */
export async function presentOrConflict(meta: FileMeta, s: Services, principal: Principal): Promise<Pick<ReceivedFile, 'sha256' | 'size' | 'name'> | undefined> {
  // Another site's upload of the same bytes is not this token's: it sends its own copy.
  const found = s.uploads.received.get(meta.sha256, meta.name);
  const received = found && (found.site === principal.site || isAdmin(principal)) ? found : undefined;
  if (meta.replace) return received;
  const catalog = s.ingest.catalog;
  // What the token may not read is, for it, not there (the answers say nothing about it).
  const [archived] = (await catalog.findArchived({ sourceSha256: meta.sha256, limit: 1 })).filter((a) => mayUse(principal, a.instrument));
  if (archived && (meta.archiveId === undefined || archived.archiveId === meta.archiveId)) return { sha256: meta.sha256, size: meta.size, name: meta.name };
  if (meta.archiveId !== undefined) {
    const conflict = (where: string, sha256: string) =>
      new IngestError('ARCHIVE_ID_CONFLICT', `archive id ${meta.archiveId} ${where} SHA-256 ${sha256}; the request has ${meta.sha256}`, {
        context: { archiveId: meta.archiveId, file: meta.name },
      });
    const visible = await catalog.getArchived(meta.archiveId);
    const taken = visible && mayUse(principal, visible.instrument) ? visible : undefined;
    if (taken && taken.sha256 !== meta.sha256 && taken.sourceSha256 !== meta.sha256) throw conflict('is archived with', taken.sha256);
    const waiting = s.uploads.received.forArchiveId(meta.archiveId);
    if (waiting && waiting.sha256 !== meta.sha256 && (waiting.site === principal.site || isAdmin(principal))) throw conflict('was received with', waiting.sha256);
  }
  return received;
}

/**
 * Checks a declared instrument at once. Without one, the file decides: its INSTRUME is checked against the token's
 * instruments once the bytes are in ({@link admitFor}), so a token limited to KCWI sends KCWI files without naming
 * the instrument.
 */
export function authorizeDeclared(principal: Principal, instrument: string | undefined): void {
  // The route checked the push scope; a declared instrument must be one the token may use.
  if (instrument !== undefined) authorize(principal, 'push', instrument);
}

/**
 * The check complete bytes pass before they enter the received store: the token may use the instrument the
 * file's INSTRUME resolves to, and a declared instrument must be that one (a file is refused, never relabelled).
 */
export function admitFor(ctx: RouteContext, s: Services): Admit {
  return async (path, meta) => {
    const identity = await s.ingest.identify({ path, name: meta.name, sha256: meta.sha256 }, meta.prepared);
    instrumentFor(ctx.principal, identity, meta.instrument, s.ingest.instruments, meta.name);
  };
}

/** Reads the declaration of a one-request upload from the query string. */
function metaFromQuery(query: URLSearchParams, length: number | undefined): FileMeta & { ingest: boolean; wait: number } {
  const get = (key: string, kind: Parameters<typeof queryValue>[1] = 'string') => {
    const text = query.get(key);
    return text === null ? undefined : queryValue(text, kind);
  };
  const hdus = query.get('hdus');
  const raw = {
    sha256: get('sha256'),
    size: get('size', 'number') ?? length,
    name: get('name'),
    archiveId: get('archiveId'),
    instrument: get('instrument'),
    level: get('level', 'number'),
    parents: get('parents', 'list'),
    prepared: get('prepared', 'boolean'),
    replace: get('replace', 'boolean'),
    hdus:
      hdus === null
        ? undefined
        : hdus.split(',').filter(Boolean).map((text) => {
            const [index, datasum, checksum = ''] = text.split(':');
            return { index: Number(index), datasum: Number(datasum), checksum };
          }),
  };
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const meta = validate(fileMetaSchema, defined, 'POST /v1/uploads (query)');
  const ingest = validate(fileMetaSchema.shape.prepared, get('ingest', 'boolean') ?? false, 'POST /v1/uploads (query ingest)');
  const wait = Number(get('wait', 'number') ?? 0);
  if (!Number.isFinite(wait) || wait < 0) throw new IngestError('BAD_REQUEST', 'wait is a number of seconds', { context: { field: 'wait' } });
  return { ...meta, ingest, wait };
}

/** `POST /v1/uploads` with the file as body. */
export async function receiveFile(ctx: RouteContext, s: Services): Promise<void> {
  const length = contentLength(ctx.req);
  const { ingest, wait, ...meta } = metaFromQuery(ctx.query, length);
  authorizeDeclared(ctx.principal, meta.instrument);
  if (meta.size > s.limits.maxUploadBytes || (length !== undefined && length > s.limits.maxUploadBytes)) {
    throw new IngestError('PAYLOAD_TOO_LARGE', `the file has ${Math.max(meta.size, length ?? 0)} bytes; this archive accepts at most ${s.limits.maxUploadBytes}`, {
      context: { file: meta.name },
    });
  }
  if (length !== undefined && length !== meta.size) {
    throw new IngestError('BAD_REQUEST', `Content-Length ${length} differs from the declared size ${meta.size}`, { context: { field: 'size' } });
  }
  const present = await presentOrConflict(meta, s, ctx.principal);
  ctx.proceed();
  let file: Pick<ReceivedFile, 'sha256' | 'size' | 'name'>;
  if (present) {
    for await (const _ of ctx.req) {
      // Drain: the archive holds these bytes already.
    }
    file = present;
  } else {
    file = await s.uploads.oneShot(meta, ctx.principal.site, ctx.req, s.now, admitFor(ctx, s));
  }
  let status: IngestStatus | null = null;
  if (ingest) {
    status = await s.ingest.ingest(ctx.principal, { ...meta, reingest: meta.replace });
    if (!status.final) status = await s.ingest.wait(status.recordId, Math.min(wait, s.limits.maxWaitSeconds));
  }
  sendJson(ctx.res, present ? 200 : 201, receivedBody(file, meta, status, present !== undefined));
}
