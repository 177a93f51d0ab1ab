/**
 * DATASUM and CHECKSUM of whole HDUs: compute them in one streaming pass (with {@link HduChecksummer} as the
 * handler of an {@link HduStreamParser}), verify them with CFITSIO's semantics, and produce updated headers.
 *
 * @module
 */
import type { HduInfo, HduStreamHandler } from '../fits/hdu-stream.js';
import type { Header } from '../fits/header.js';
import type { HduKind } from '../fits/hdu-layout.js';
import { addOnesComplement } from './_arith.js';
import { CHECKSUM_PLACEHOLDER, checksumForHeader, formatDatasum, parseDatasum } from './encode.js';
import { ChecksumAccumulator, onesComplementSum } from './ones-complement.js';

/** The sums of one HDU as found in a stream. */
export interface HduSumResult {
  hdu: HduInfo;
  /** Ones' complement sum of the header blocks exactly as stored. */
  headerSum: number;
  /** Ones' complement sum of the data unit, fill included (the DATASUM). */
  datasum: number;
}

/**
 * Status of one check:
 * - `ok`: the stored value matches the bytes;
 * - `bad`: it does not (the bytes or the keyword changed since it was written);
 * - `missing`: the keyword is absent.
 */
export type SumStatus = 'ok' | 'bad' | 'missing';

/** The verdict on one HDU. */
export interface HduChecksumReport {
  hdu: number;
  type: HduKind;
  headerOffset: number;
  dataOffset: number;
  dataSize: number;
  /** DATASUM computed from the bytes. */
  datasum: number;
  /** The DATASUM keyword as stored (undefined = absent). */
  storedDatasum?: string | null;
  datasumStatus: SumStatus;
  /** The CHECKSUM keyword as stored (undefined = absent). */
  storedChecksum?: string | null;
  /** Whole-HDU check: header + data sum to −0 (or 0). */
  checksumStatus: SumStatus;
  /** Tile-compressed images: the original image's sums kept in the table header (reported, not recomputed). */
  zdatasum?: string;
  zhecksum?: string;
}

/**
 * A stream handler that sums every HDU: header blocks as stored, data unit as it flows by. Reuses one
 * accumulator, so data read into {@link scratch} memory is summed without a copy.
 */
export class HduChecksummer implements HduStreamHandler {
  readonly #data: ChecksumAccumulator;
  #headerSum = 0;
  /** Sums of the HDUs completed so far, in order. */
  readonly results: HduSumResult[] = [];

  constructor(accumulator = new ChecksumAccumulator()) {
    this.#data = accumulator;
  }

  /** `count` read buffers in the accumulator's own memory (see {@link ChecksumAccumulator.scratch}). */
  scratch(byteLength: number, count = 2): readonly Uint8Array[] {
    return this.#data.scratch(byteLength, count);
  }

  header(_hdu: HduInfo, bytes: Uint8Array): void {
    this.#headerSum = onesComplementSum(bytes);
    this.#data.reset();
  }

  data(_hdu: HduInfo, chunk: Uint8Array): void {
    this.#data.update(chunk);
  }

  hduEnd(hdu: HduInfo): void {
    this.results.push({ hdu, headerSum: this.#headerSum, datasum: this.#data.digest() });
  }
}

function stored(header: Header, keyword: string): string | null | undefined {
  const card = header.card(keyword);
  if (!card) return undefined;
  if (card.kind !== 'value') return null;
  const value = card.value;
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

/**
 * Verifies one HDU with CFITSIO's semantics: DATASUM is compared as a number (a blank DATASUM counts as 0);
 * CHECKSUM is checked arithmetically — header plus data must sum to −0 (0xFFFFFFFF) or 0 — so any valid
 * encoding is accepted, and the two checks are reported separately.
 */
export function verifyHduSums({ hdu, headerSum, datasum }: HduSumResult): HduChecksumReport {
  const header = hdu.header;
  const storedDatasum = stored(header, 'DATASUM');
  const storedChecksum = stored(header, 'CHECKSUM');
  let datasumStatus: SumStatus = 'missing';
  if (storedDatasum !== undefined) {
    let value: number | undefined;
    try {
      value = storedDatasum === null || storedDatasum.trim() === '' ? 0 : parseDatasum(storedDatasum);
    } catch {
      value = undefined;
    }
    datasumStatus = value === datasum ? 'ok' : 'bad';
  }
  let checksumStatus: SumStatus = 'missing';
  if (storedChecksum !== undefined) {
    const total = addOnesComplement(headerSum, datasum);
    checksumStatus = total === 0xffffffff || total === 0 ? 'ok' : 'bad';
  }
  const report: HduChecksumReport = {
    hdu: hdu.index,
    type: hdu.layout.kind,
    headerOffset: hdu.headerOffset,
    dataOffset: hdu.dataOffset,
    dataSize: hdu.layout.dataSize,
    datasum,
    datasumStatus,
    checksumStatus,
  };
  if (storedDatasum !== undefined) report.storedDatasum = storedDatasum;
  if (storedChecksum !== undefined) report.storedChecksum = storedChecksum;
  if (hdu.layout.compressed) {
    const zd = stored(header, 'ZDATASUM');
    const zh = stored(header, 'ZHECKSUM');
    if (typeof zd === 'string') report.zdatasum = zd;
    if (typeof zh === 'string') report.zhecksum = zh;
  }
  return report;
}

/** `2026-11-20T23:59:59` (UTC, seconds), the conventional timestamp of checksum comments. */
export function checksumTimestamp(now: number): string {
  return new Date(now).toISOString().slice(0, 19);
}

/**
 * Writes DATASUM and CHECKSUM into a header (in place, returning it) for a data unit whose sum is `datasum`.
 * Existing cards keep their place; new ones go at the end. CHECKSUM is computed last, over the final header
 * bytes, so the whole HDU then sums to −0.
 *
 * @param now time for the comments ("HDU checksum updated …"), epoch ms; the core never reads the clock itself
 */
export function applyChecksums(header: Header, datasum: number, now: number): Header {
  const stamp = checksumTimestamp(now);
  // CHECKSUM first so that, when both are new, the conventional order is CHECKSUM then DATASUM.
  header.set('CHECKSUM', CHECKSUM_PLACEHOLDER, `HDU checksum updated ${stamp}`);
  header.set('DATASUM', formatDatasum(datasum), `data unit checksum updated ${stamp}`);
  const checksum = checksumForHeader(onesComplementSum(header.toBytes()), datasum);
  header.set('CHECKSUM', checksum);
  return header;
}
