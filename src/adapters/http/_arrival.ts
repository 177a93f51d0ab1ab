/**
 * Checking bytes as they arrive: the SHA-256 of the whole upload, and (when the sender declared them) every
 * HDU's DATASUM and CHECKSUM, in the same pass as the bytes are written. Internal to src/adapters/http.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { HduChecksummer, verifyHduSums } from '../../core/checksum/hdu-checksums.js';
import { IngestError, toIngestError } from '../../core/errors.js';
import { HduStreamParser } from '../../core/fits/hdu-stream.js';
import type { FileMeta } from './protocol.js';

/** The running check of one upload. */
export class ArrivalCheck {
  readonly #meta: FileMeta;
  readonly #hash: Hash = createHash('sha256');
  readonly #sums: HduChecksummer | undefined;
  readonly #parser: HduStreamParser | undefined;
  #fitsError: IngestError | undefined;
  /** Bytes seen so far. */
  offset = 0;

  constructor(meta: FileMeta) {
    this.#meta = meta;
    if (meta.hdus.length > 0) {
      this.#sums = new HduChecksummer();
      this.#parser = new HduStreamParser(this.#sums, { file: meta.name, totalSize: meta.size });
    }
  }

  /** Rebuilds the check of an upload from the bytes already on disk (after a restart). */
  static async fromFile(meta: FileMeta, path: string): Promise<ArrivalCheck> {
    const check = new ArrivalCheck(meta);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(4 << 20);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, check.offset);
        if (bytesRead === 0) break;
        check.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    return check;
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.offset += chunk.length;
    if (this.#parser && !this.#fitsError) {
      try {
        this.#parser.push(chunk);
      } catch (error) {
        this.#fitsError = toIngestError(error, { file: this.#meta.name });
      }
    }
  }

  /**
   * Ends the check once every byte arrived; returns the SHA-256.
   *
   * @throws IngestError DIGEST_MISMATCH (the bytes changed on the way: send them again), or CHECKSUM_MISMATCH /
   * a FITS structure code when the declared HDU sums do not match bytes whose SHA-256 does (the sender's
   * declaration is wrong: sending again cannot help).
   */
  finish(): string {
    const sha256 = this.#hash.digest('hex');
    const meta = this.#meta;
    if (this.offset !== meta.size || sha256 !== meta.sha256) {
      throw new IngestError(
        'DIGEST_MISMATCH',
        `the upload has ${this.offset} bytes with SHA-256 ${sha256}; the sender declared ${meta.size} bytes with SHA-256 ${meta.sha256}`,
        { context: { file: meta.name }, hint: 'the bytes changed on the way; the partial upload was discarded, send the file again' },
      );
    }
    if (!this.#parser || !this.#sums) return sha256;
    if (!this.#fitsError) {
      try {
        this.#parser.end();
      } catch (error) {
        this.#fitsError = toIngestError(error, { file: meta.name });
      }
    }
    if (this.#fitsError) throw this.#fitsError;
    const found = this.#sums.results;
    if (found.length !== meta.hdus.length) {
      throw new IngestError('CHECKSUM_MISMATCH', `the file has ${found.length} HDUs; the sender declared sums for ${meta.hdus.length}`, {
        context: { file: meta.name },
      });
    }
    for (const declared of meta.hdus) {
      const result = found[declared.index];
      if (!result) throw new IngestError('CHECKSUM_MISMATCH', `the sender declared sums for HDU ${declared.index}, which the file does not have`, { context: { file: meta.name } });
      const where = { file: meta.name, hdu: declared.index, offset: result.hdu.dataOffset };
      if (result.datasum !== declared.datasum) {
        throw new IngestError('CHECKSUM_MISMATCH', `DATASUM of the arrived data is ${result.datasum}, the sender declared ${declared.datasum}`, { context: where });
      }
      if (declared.checksum !== '') {
        const report = verifyHduSums(result);
        if (report.storedChecksum !== declared.checksum || report.checksumStatus !== 'ok') {
          throw new IngestError(
            'CHECKSUM_MISMATCH',
            `CHECKSUM ${report.storedChecksum ?? '(missing)'} (${report.checksumStatus}) does not match the declared ${declared.checksum}`,
            { context: where },
          );
        }
      }
    }
    return sha256;
  }
}
