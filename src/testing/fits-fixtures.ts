/**
 * Real FITS files for adapter tests: random data under a valid header with correct DATASUM/CHECKSUM, and the
 * per-HDU sums a TransferRequest carries.
 *
 * @module
 */
import { applyChecksums, HduChecksummer } from '../core/checksum/hdu-checksums.js';
import { concatBytes, createHeader, encodeHdu } from '../core/fits/build.js';
import { HduStreamParser } from '../core/fits/hdu-stream.js';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { HduSums, TransferRequest } from '../core/ports/transport.js';
import { onesComplementSum } from '../core/checksum/ones-complement.js';
import { padToBlock } from '../core/fits/bytes.js';

/** A one-HDU FITS file of `dataBytes` random data bytes (BITPIX 8), with valid DATASUM and CHECKSUM. */
export function checksummedFits(dataBytes: number): Uint8Array {
  const data = new Uint8Array(dataBytes);
  globalThis.crypto.getRandomValues(data.subarray(0, Math.min(dataBytes, 65536)));
  for (let at = 65536; at < dataBytes; at += 65536) globalThis.crypto.getRandomValues(data.subarray(at, Math.min(dataBytes, at + 65536)));
  const padded = new Uint8Array(padToBlock(dataBytes));
  padded.set(data);
  const header = createHeader({ primary: true, bitpix: 8, axes: [dataBytes], cards: [['ORIGIN', 'fits-ingest test fixture']] });
  applyChecksums(header, onesComplementSum(padded), Date.UTC(2026, 0, 1));
  return concatBytes(encodeHdu(header, data));
}

/** The sums of every HDU of a FITS file held in memory, as a TransferRequest carries them. */
export function hduSumsOf(bytes: Uint8Array): HduSums[] {
  const checksummer = new HduChecksummer();
  const parser = new HduStreamParser(checksummer);
  parser.push(bytes);
  parser.end();
  return checksummer.results.map(({ hdu, datasum }) => ({ index: hdu.index, datasum, checksum: String(hdu.header.get('CHECKSUM') ?? '') }));
}

/**
 * Writes `bytes` to `path` and returns a TransferRequest for them: archive id `<prefix>.20240315.<id>.00`, size,
 * SHA-256 and HDU sums of the bytes; `overrides` replace any field.
 */
export async function transferRequestFor(
  path: string,
  bytes: Uint8Array,
  id: number,
  fields: Pick<TransferRequest, 'instrument' | 'originalName' | 'sidecar'> & { prefix: string },
  overrides: Partial<TransferRequest> = {},
): Promise<TransferRequest> {
  await writeFile(path, bytes);
  const { prefix, ...rest } = fields;
  return {
    recordId: `record-${id}`,
    archiveId: `${prefix}.20240315.${String(id).padStart(5, '0')}.00`,
    level: 0,
    night: '2024-03-15',
    path,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    hdus: hduSumsOf(bytes),
    ...rest,
    ...overrides,
  };
}
