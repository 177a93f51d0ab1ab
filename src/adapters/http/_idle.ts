/**
 * Upload hygiene: partial uploads and received files nobody asked to ingest are listed (`GET /v1/uploads`, a
 * token sees its site's, an admin token every site's), deleted on request (`DELETE /v1/uploads/{uploadId}`), and
 * expire after `limits.uploadTtlMs` idle — each expiry reported in the server's log. Internal to
 * src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { Logger } from '../../core/ports/logger.js';
import { isAdmin, refusal, type Principal } from './_auth.js';
import type { IngestService } from './_ingest.js';
import { receivedId } from './_received.js';
import type { UploadStore } from './_uploads.js';

/** One idle upload as `GET /v1/uploads` lists it. */
export interface IdleUpload {
  uploadId: string;
  /** `partial`: bytes still to come (PATCH); `received`: complete and verified, never submitted for ingestion. */
  kind: 'partial' | 'received';
  name: string;
  sha256: string;
  size: number;
  offset: number;
  site: string;
  instrument: string | null;
  createdAt: string;
  lastActivity: string;
  /** When the sweep deletes it unless something happens to it first. */
  expiresAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Idle uploads `principal` may see (its site's; every site's for an admin token), oldest activity first. */
export async function listIdle(principal: Principal, uploads: UploadStore, ingest: IngestService, ttlMs: number): Promise<IdleUpload[]> {
  const site = isAdmin(principal) ? undefined : principal.site;
  const partial: IdleUpload[] = (await uploads.list(site)).map((u) => ({
    uploadId: u.id,
    kind: 'partial',
    name: u.meta.name,
    sha256: u.meta.sha256,
    size: u.meta.size,
    offset: u.offset,
    site: u.site,
    instrument: u.meta.instrument ?? null,
    createdAt: iso(u.createdAt),
    lastActivity: iso(u.lastActivity),
    expiresAt: iso(u.lastActivity + ttlMs),
  }));
  const received: IdleUpload[] = (await ingest.idleReceived(site)).map((f) => ({
    uploadId: receivedId(f),
    kind: 'received',
    name: f.name,
    sha256: f.sha256,
    size: f.size,
    offset: f.size,
    site: f.site,
    instrument: f.instrument ?? null,
    createdAt: iso(f.receivedAt),
    lastActivity: iso(f.receivedAt),
    expiresAt: iso(f.receivedAt + ttlMs),
  }));
  return [...partial, ...received].sort((a, b) => a.lastActivity.localeCompare(b.lastActivity));
}

/**
 * Deletes an idle upload of `principal`'s site (any site's for an admin token): a partial one, or received bytes
 * never submitted. Another site's upload answers like an unknown id.
 *
 * @throws IngestError UPLOAD_NOT_FOUND
 */
export async function deleteIdle(principal: Principal, id: string, uploads: UploadStore, ingest: IngestService): Promise<void> {
  const site = isAdmin(principal) ? undefined : principal.site;
  let notFound: IngestError;
  try {
    await uploads.head(id, site, 0);
    await uploads.remove(id);
    return;
  } catch (error) {
    if (!(error instanceof IngestError && error.code === 'UPLOAD_NOT_FOUND')) throw error;
    notFound = error; // another site's partial upload: a refusal
  }
  const file = (await ingest.idleReceived(undefined)).find((f) => receivedId(f) === id);
  if (!file) throw notFound;
  if (site !== undefined && file.site !== site) throw refusal(new IngestError('UPLOAD_NOT_FOUND', `no upload ${id}`));
  await uploads.received.discard(file);
}

/** One sweep: deletes what idled past `ttlMs` and reports each in the log. */
export async function sweepIdle(uploads: UploadStore, ingest: IngestService, now: number, ttlMs: number, logger: Logger): Promise<number> {
  const partial = await uploads.sweep(now, ttlMs);
  for (const u of partial) {
    logger.warn('idle upload expired', { kind: 'partial', uploadId: u.id, site: u.site, name: u.meta.name, sha256: u.meta.sha256, offset: u.offset, size: u.meta.size, idleMs: now - u.lastActivity });
  }
  const received = await ingest.sweepReceived(now, ttlMs);
  for (const f of received) {
    logger.warn('idle upload expired', { kind: 'received', uploadId: receivedId(f), site: f.site, name: f.name, sha256: f.sha256, size: f.size, idleMs: now - f.receivedAt });
  }
  return partial.length + received.length;
}
