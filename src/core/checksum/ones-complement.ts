/**
 * The FITS checksum arithmetic: the 32-bit ones' complement sum of a byte stream read as big-endian words, with
 * end-around carry (FITS Standard 4.0 §4.4.2.7 and Appendix J), computed in pieces of any size and alignment.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { addOnesComplement, rotateRightBytes } from './_arith.js';
import { type ChecksumEngine, type ScratchArena, checksumEngine } from './engine.js';

export { addOnesComplement } from './_arith.js';

/**
 * The ones' complement sum of a piece of a byte stream, as an unsigned 32-bit integer.
 *
 * @param bytes The piece. Its length need not be a multiple of 4: a trailing partial word supplies the high bytes
 *   of a word whose other bytes come from the next piece.
 * @param streamOffset The absolute offset of the piece's first byte in the stream (only its value mod 4 matters: a
 *   piece starting k bytes past a word boundary contributes its own sum rotated right by 8k bits).
 * @param initial A running sum to add this piece to (e.g. the DATASUM when summing a header for CHECKSUM).
 * @returns `initial ⊕ sum(piece)`, 0..0xFFFFFFFF. The sum is 0 only for all-zero bytes; otherwise an exact
 *   multiple of 2^32 - 1 gives 0xFFFFFFFF (-0), the value of an HDU whose CHECKSUM is right.
 *
 * @example
 * ```ts
 * const whole = onesComplementSum(bytes);
 * const split = onesComplementSum(bytes.subarray(5), 5, onesComplementSum(bytes.subarray(0, 5)));
 * // whole === split
 * ```
 */
export function onesComplementSum(bytes: Uint8Array, streamOffset = 0, initial = 0): number {
  return addOnesComplement(initial, rotateRightBytes(checksumEngine.sum(bytes), streamOffset));
}

/**
 * A running ones' complement sum over a stream fed in chunks of any size: it tracks the stream offset itself, so
 * every chunking of the same bytes gives the same {@link digest}.
 *
 * For big files it can also lend its own memory to the reader ({@link scratch}), so bytes are read straight into
 * the memory the fast engine sums and never copied:
 *
 * @example
 * ```ts
 * // Double-buffered: read the next chunk while summing the current one (`handle` is a fs.promises FileHandle).
 * const acc = new ChecksumAccumulator();
 * let [current, next] = acc.scratch(1 << 20);
 * let position = start;
 * let pending = handle.read(current, 0, Math.min(current.length, end - position), position);
 * while (position < end) {
 *   const { bytesRead } = await pending;
 *   if (bytesRead === 0) throw new Error('the file is shorter than its header says');
 *   position += bytesRead;
 *   if (position < end) pending = handle.read(next, 0, Math.min(next.length, end - position), position);
 *   acc.commit(current, bytesRead); // summed in place while the next read runs
 *   [current, next] = [next, current];
 * }
 * const dataSum = acc.digest();
 * ```
 */
export class ChecksumAccumulator {
  readonly #engine: ChecksumEngine;
  #arena: ScratchArena | undefined;
  #sum: number;
  #bytes = 0;

  /**
   * @param initial The sum to start from (default 0).
   * @param engine The engine to sum with (default {@link checksumEngine}, the fastest available).
   */
  constructor(initial = 0, engine: ChecksumEngine = checksumEngine) {
    this.#engine = engine;
    this.#sum = initial >>> 0;
  }

  /** How many bytes have been added since construction or the last {@link reset}. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds the next `chunk` of the stream. Chunks in this accumulator's {@link scratch} memory are summed in place. */
  update(chunk: Uint8Array): void {
    const piece = this.#arena === undefined ? this.#engine.sum(chunk) : this.#arena.sum(chunk);
    this.#sum = addOnesComplement(this.#sum, rotateRightBytes(piece, this.#bytes));
    this.#bytes += chunk.length;
  }

  /**
   * Disjoint views of `byteLength` bytes in this accumulator's own memory (the WebAssembly engine's linear memory,
   * or an ordinary buffer for the JS engine): two by default, for double-buffered reading, or `count` of them for a
   * deeper ring of reads in flight. Read file bytes into them, then {@link commit} them: they are summed where they
   * lie, without a copy.
   *
   * The views stay valid until a later call needs more memory than any call before it (growing the memory detaches
   * earlier views: they then have length 0). Ask once, for the most you need.
   *
   * @throws IngestError `INVALID_OPTIONS` if `byteLength` is not an integer from 1 to 2^30, or `count` not from
   *   1 to 16.
   */
  scratch(byteLength: number): readonly [Uint8Array, Uint8Array];
  scratch(byteLength: number, count: number): readonly Uint8Array[];
  scratch(byteLength: number, count = 2): readonly Uint8Array[] {
    this.#arena ??= this.#engine.createArena();
    return this.#arena.views(byteLength, count);
  }

  /**
   * Adds the first `length` bytes of `view` (a view from {@link scratch}) to the sum; the same as
   * `update(view.subarray(0, length))`, with a check that the bytes are really there.
   *
   * @throws IngestError `INVALID_OPTIONS` if `length` is not an integer from 0 to `view.length` (a view detached by
   *   a growing {@link scratch} call has length 0).
   */
  commit(view: Uint8Array, length: number = view.length): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > view.length) {
      throw new IngestError(
        'INVALID_OPTIONS',
        `cannot commit ${length} bytes of a ${view.length}-byte scratch view${view.length === 0 ? ' (detached by a larger scratch() call?)' : ''}`,
        { context: { field: 'length' } },
      );
    }
    this.update(length === view.length ? view : view.subarray(0, length));
  }

  /** The sum so far (0..0xFFFFFFFF). The accumulator stays usable: more updates continue the same stream. */
  digest(): number {
    return this.#sum;
  }

  /** Starts a new stream (keeping the scratch memory). */
  reset(initial = 0): void {
    this.#sum = initial >>> 0;
    this.#bytes = 0;
  }
}
