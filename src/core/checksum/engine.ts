/**
 * Checksum engines: the code that adds up bytes. The fastest one this runtime supports is chosen once, at load:
 * WebAssembly SIMD where available, else plain JavaScript. Both give identical sums; {@link checksumEngine} says
 * which one runs (benchmarks and diagnostics print it).
 *
 * @module
 */
import { jsEngine } from './_js-engine.js';
import { createWasmEngine } from './_wasm-engine.js';

export type { ChecksumEngine, ChecksumEngineName, ScratchArena } from './engine-types.js';
import type { ChecksumEngine } from './engine-types.js';

/** The portable engine, always available. */
export const jsChecksumEngine: ChecksumEngine = jsEngine;

/** The WebAssembly SIMD engine, or `undefined` where this runtime cannot run it. */
export const wasmChecksumEngine: ChecksumEngine | undefined = createWasmEngine();

/** The engine used by default: the fastest available. */
export const checksumEngine: ChecksumEngine = wasmChecksumEngine ?? jsChecksumEngine;
