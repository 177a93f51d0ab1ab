/**
 * What the filesystem transport checks at a destination: one read pass giving the size, the SHA-256 (unless
 * `verify: 'fits'`) and every HDU's sums, compared with the request.
 */
import { IngestError, isIngestError } from '../../core/errors.js';
import { verifyHduSums } from '../../core/checksum/hdu-checksums.js';
import type { TransferRequest } from '../../core/ports/transport.js';
import { sumFile } from '../../io/checksum-file.js';

/** How the destination is verified: SHA-256 of the whole file plus FITS sums, or FITS sums and size only. */
export type VerifyMode = 'sha256' | 'fits';

/** What is at a destination. */
export interface Inspection {
  size: number;
  /** SHA-256 computed from the bytes (sha256 mode), else the request's digest the FITS sums vouch for. */
  sha256: string;
  /** Why the bytes are not the requested ones; undefined when they are. */
  problem?: string;
}

/** Reads the file at `path` once and compares it with the request; undefined when there is no file. */
export async function inspect(path: string, request: TransferRequest, mode: VerifyMode, signal?: AbortSignal): Promise<Inspection | undefined> {
  let sums;
  try {
    sums = await sumFile(path, { sha256: mode === 'sha256', ...(signal ? { signal } : {}) });
  } catch (error) {
    if (isIngestError(error, 'FILE_NOT_FOUND')) return undefined;
    if (isIngestError(error) && error.kind === 'invalid') {
      return { size: -1, sha256: '(not a whole FITS file)', problem: `it is not a whole FITS file (${error.code})` };
    }
    throw error;
  }
  const sha256 = sums.sha256 ?? request.sha256;
  const found: Inspection = { size: sums.size, sha256 };
  if (sums.size !== request.size) found.problem = `it has ${sums.size} bytes, expected ${request.size}`;
  else if (sums.sha256 !== undefined && sums.sha256 !== request.sha256) found.problem = `its SHA-256 is ${sums.sha256}, expected ${request.sha256}`;
  else if (sums.hdus.length !== request.hdus.length) found.problem = `it has ${sums.hdus.length} HDUs, expected ${request.hdus.length}`;
  else {
    for (const [i, result] of sums.hdus.entries()) {
      const report = verifyHduSums(result);
      if (result.datasum !== request.hdus[i]!.datasum) found.problem = `HDU ${i} DATASUM is ${result.datasum}, expected ${request.hdus[i]!.datasum}`;
      else if (report.checksumStatus !== 'ok') found.problem = `HDU ${i} CHECKSUM does not verify (${report.checksumStatus})`;
      if (found.problem) break;
    }
  }
  return found;
}

/** The error for bytes that are not what was sent. */
export function notTheRequestedBytes(request: TransferRequest, where: string, problem: string): IngestError {
  return new IngestError('DIGEST_MISMATCH', `${where}: ${problem}`, { context: { file: request.path, archiveId: request.archiveId } });
}
