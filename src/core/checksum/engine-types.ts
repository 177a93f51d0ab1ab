/**
 * The types of a checksum engine, apart from the engines themselves so that each engine can name them without
 * importing the module that chooses between them.
 *
 * @module
 */
/** `wasm-simd`: a hand-assembled WebAssembly SIMD kernel. `js`: portable JavaScript (SWAR on 32-bit words). */
export type ChecksumEngineName = 'wasm-simd' | 'js';

/**
 * Memory owned by one consumer (one accumulator) that a reader fills in place, so file bytes are summed where they
 * were read, without a copy.
 */
export interface ScratchArena {
  /**
   * `count` disjoint views of `byteLength` bytes each, each starting on a 64-byte boundary. A call that needs more
   * memory than any call before it may detach the views handed out earlier (they then have length 0); asking again
   * for the same or less returns views of the same memory.
   */
  views(byteLength: number, count: number): Uint8Array[];
  /** As {@link ChecksumEngine.sum}; without any copy when `bytes` lies in this arena's memory. */
  sum(bytes: Uint8Array): number;
}

/** A way of computing ones' complement sums. */
export interface ChecksumEngine {
  readonly name: ChecksumEngineName;
  /**
   * The 32-bit ones' complement sum of `bytes` read as big-endian words starting on a word boundary; a trailing
   * partial word supplies the high bytes of a word whose low bytes are zero. Any length, any `byteOffset`.
   */
  sum(bytes: Uint8Array): number;
  /** A new private arena for zero-copy reading. */
  createArena(): ScratchArena;
}
