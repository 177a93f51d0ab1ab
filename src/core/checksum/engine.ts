/**
 * Checksum engines: the code that adds up bytes. The fastest one this runtime supports is chosen once, at load:
 * WebAssembly SIMD where available, else plain JavaScript. Both give identical sums; {@link checksumEngine} says
 * which one runs (benchmarks and diagnostics print it).
 *
 * @module
 */
import { jsEngine } from './_js-engine.js';
import { createWasmEngine } from './_wasm-engine.js';

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

/** The portable engine, always available. */
export const jsChecksumEngine: ChecksumEngine = jsEngine;

/** The WebAssembly SIMD engine, or `undefined` where this runtime cannot run it. */
export const wasmChecksumEngine: ChecksumEngine | undefined = createWasmEngine();

/** The engine used by default: the fastest available. */
export const checksumEngine: ChecksumEngine = wasmChecksumEngine ?? jsChecksumEngine;
