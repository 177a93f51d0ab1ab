/**
 * Who owns what, and what a token may do with it — decided from the file itself (the instrument its INSTRUME
 * resolves to) and from the site that archived what is already there, never from the request's fields alone.
 * Refusals answer 403 for something the token may see and, for something it may not even see, the same answer
 * as an unknown id. Internal to src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { ArchivedFile, Catalog } from '../../core/ports/catalog.js';
import type { InstrumentDescription } from '../../core/instruments/schema.js';
import { instrumentByName } from '../../core/instruments/find-instrument.js';
import { isAdmin, mayUse, refusal, type Principal } from './_auth.js';
import type { FileIdentity } from './_identity.js';
import type { ReceivedFile } from './_received.js';

/**
 * The site that archived a file: the `site` recorded on its record by the server, or null for files the archive
 * ingested itself (a watcher, the CLI) — those only an admin token may replace.
 */
export async function ownerOf(catalog: Catalog, file: ArchivedFile): Promise<string | null> {
  const record = await catalog.getRecord(file.recordId);
  const site = record?.metadata['site'];
  return typeof site === 'string' ? site : null;
}

/**
 * The instrument a token acts on for a received file: the one its INSTRUME resolves to. A declared instrument
 * only narrows: it must be the same. Returns the name to ingest under (the declared one only when the file
 * names none and the token is not limited to some instruments).
 *
 * @throws IngestError FORBIDDEN (the token may not use the file's instrument), BAD_REQUEST (declared ≠ file)
 */
export function instrumentFor(principal: Principal, identity: FileIdentity, declared: string | undefined, instruments: readonly InstrumentDescription[], name: string): string | undefined {
  const file = identity.instrument;
  if (file === null) {
    if (principal.instruments !== '*') {
      throw new IngestError('FORBIDDEN', `the token of ${principal.site} is limited to ${[...principal.instruments].join(', ')}, and ${identity.unreadable ? `the header of ${name} cannot be read (${identity.unreadable})` : `the INSTRUME of ${name} names no known instrument`}`, {
        context: { file: name, keyword: 'INSTRUME' },
      });
    }
    return declared;
  }
  if (!mayUse(principal, file)) {
    throw new IngestError('FORBIDDEN', `the INSTRUME of ${name} resolves to ${file}, which the token of ${principal.site} may not use (refused, not relabelled)`, {
      context: { file: name, keyword: 'INSTRUME' },
    });
  }
  if (declared !== undefined && (instrumentByName(instruments, declared)?.name ?? declared.toUpperCase()) !== file) {
    throw refusal(
      new IngestError('BAD_REQUEST', `${name} was declared as ${declared}, but its INSTRUME resolves to ${file}; the file decides (refused, not relabelled)`, {
        context: { file: name, field: 'instrument' },
      }),
    );
  }
  return file;
}

/**
 * A received file another site sent: only an admin token may act on it. 403 when the token may use the
 * file's instrument (it may see the upload under GET /v1/files), otherwise the answer for an unknown upload.
 *
 * @throws IngestError FORBIDDEN, NOT_RECEIVED
 */
export function checkUploader(principal: Principal, file: ReceivedFile, identity: FileIdentity): void {
  if (file.site === principal.site || isAdmin(principal)) return;
  if (mayUse(principal, identity.instrument)) {
    throw new IngestError('FORBIDDEN', `${file.name} was uploaded by ${file.site}; the token of ${principal.site} may not ingest another site's upload`, { context: { file: file.name } });
  }
  throw refusal(new IngestError('NOT_RECEIVED', `no received file ${file.name} with SHA-256 ${file.sha256}`, { context: { file: file.name } }));
}

/**
 * Replacing what the archive holds under `archiveId`: only the site that archived it (or an admin). 403 when
 * the token may read that file, 404 (as for an unknown id) when it may not.
 *
 * @throws IngestError FORBIDDEN, NOT_FOUND
 */
export async function checkReplace(principal: Principal, catalog: Catalog, archiveId: string): Promise<void> {
  const taken = await catalog.getArchived(archiveId);
  if (!taken || isAdmin(principal)) return;
  const owner = await ownerOf(catalog, taken);
  if (owner === principal.site) return;
  if (!mayUse(principal, taken.instrument)) {
    throw refusal(new IngestError('NOT_FOUND', `the archive knows nothing under ${archiveId}`, { context: { archiveId } }));
  }
  throw new IngestError('FORBIDDEN', `${archiveId} was archived by ${owner ?? 'the archive itself'}; the token of ${principal.site} may not replace it`, {
    context: { archiveId },
  });
}
