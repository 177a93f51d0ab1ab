/**
 * Writing the `split` format: one FITS file per HDU of a multi-extension file (headers from the core's
 * `promotedHeader` / `carrierHeader`, data units copied byte for byte, CHECKSUM and DATASUM recomputed).
 * Internal to src/distribute.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { createReadStream, createWriteStream } from 'node:fs';
import { carrierHeader, promotedHeader, splitFileName } from '../core/distribute/split.js';
import { applyChecksums } from '../core/checksum/hdu-checksums.js';
import { onesComplementSum } from '../core/checksum/ones-complement.js';
import type { HduInfo } from '../core/fits/hdu-stream.js';
import type { HduSums } from '../core/ports/transport.js';
import { hashCopy } from './_files.js';

/** One file written. */
export interface SplitPart {
  path: string;
  hdu: number;
}

async function datasumOf(path: string, hdu: HduInfo, known: HduSums | undefined): Promise<number> {
  if (known) return known.datasum;
  let sum = 0;
  let at = 0;
  for await (const chunk of createReadStream(path, { start: hdu.dataOffset, end: hdu.dataOffset + hdu.layout.paddedSize - 1 })) {
    sum = onesComplementSum(chunk as Buffer, at, sum);
    at += (chunk as Buffer).length;
  }
  return sum;
}

const span = (hdu: HduInfo, withHeader: boolean) => ({
  start: withHeader ? hdu.headerOffset : hdu.dataOffset,
  end: hdu.dataOffset + hdu.layout.paddedSize,
});

/**
 * Splits the file at `path` (archive id `archiveId`, HDUs `hdus`) into `dir`. Returns the files written; a
 * primary HDU without data gives no file of its own (its keywords are in every other file).
 */
export async function writeSplit(path: string, archiveId: string, hdus: readonly HduInfo[], sums: readonly HduSums[], dir: string, now: number): Promise<SplitPart[]> {
  await mkdir(dir, { recursive: true });
  const primary = hdus[0]!;
  const parts: SplitPart[] = [];
  for (const hdu of hdus) {
    const to = join(dir, splitFileName(archiveId, hdu.index, hdu.header.getString('EXTNAME')));
    if (hdu.index === 0) {
      if (hdu.layout.dataSize === 0) continue;
      await hashCopy(path, to, span(hdu, true));
    } else if (hdu.layout.kind === 'image') {
      const datasum = await datasumOf(path, hdu, sums.find((s) => s.index === hdu.index));
      const header = applyChecksums(promotedHeader(primary.header, hdu.header, { archiveId, hdu: hdu.index }), datasum, now);
      await writeFile(to, header.toBytes());
      if (hdu.layout.paddedSize > 0) await appendRange(path, to, span(hdu, false));
    } else {
      const header = applyChecksums(carrierHeader(primary.header, { archiveId, hdu: hdu.index }), 0, now);
      await writeFile(to, header.toBytes());
      await appendRange(path, to, span(hdu, true));
    }
    parts.push({ path: to, hdu: hdu.index });
  }
  return parts;
}

async function appendRange(from: string, to: string, range: { start: number; end: number }): Promise<void> {
  await pipeline(createReadStream(from, { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 }), createWriteStream(to, { flags: 'a' }));
}
