/**
 * Walking the HDUs of a random-access byte source (a file, a blob, an object store range API): only header
 * blocks are read; data units are skipped by offset.
 *
 * @module
 */
import { BLOCK } from './bytes.js';
import { HduStreamParser, type FitsWarning, type HduInfo, type HduStreamOptions } from './hdu-stream.js';

/** Bytes that can be read at any offset. */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; may return fewer only at the end of the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Options for {@link walkRandomAccess}. */
export interface RandomAccessWalkOptions extends Omit<HduStreamOptions, 'totalSize'> {
  /** Stop once the HDU with this index has been read (later HDUs are not checked). */
  stopAfterHdu?: number;
}

/** The HDUs found and what lenient reading tolerated. */
export interface WalkResult {
  hdus: HduInfo[];
  warnings: FitsWarning[];
}

const HEADER_READ = 4 * BLOCK;

/**
 * Finds every HDU by reading header blocks and seeking over data units: a multi-GB file costs a few kilobytes
 * of reads and constant memory. Throws the parser's typed errors (TRUNCATED, SIZE_OVERRUN, MISSING_END, …).
 */
export async function walkRandomAccess(source: RandomAccessSource, options: RandomAccessWalkOptions = {}): Promise<WalkResult> {
  const { stopAfterHdu, ...parserOptions } = options;
  const size = source.size;
  const parser = new HduStreamParser({}, { ...parserOptions, totalSize: size });
  while (parser.offset < size) {
    if (stopAfterHdu !== undefined && parser.hdus.length > stopAfterHdu) {
      return { hdus: parser.hdus.slice(), warnings: parser.warnings };
    }
    if (parser.state === 'data') {
      parser.skip(Math.min(parser.dataRemaining, size - parser.offset));
      continue;
    }
    const bytes = await source.read(parser.offset, Math.min(HEADER_READ, size - parser.offset));
    if (bytes.length === 0) break;
    parser.push(bytes);
    if (parser.state === 'trailing') break;
  }
  return { hdus: parser.end(), warnings: parser.warnings };
}
