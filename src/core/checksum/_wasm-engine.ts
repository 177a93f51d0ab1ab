/**
 * The WebAssembly SIMD checksum engine. Each scratch arena owns an instance (its own linear memory) so a reader can
 * fill it while another arena is summed; bytes that live elsewhere are copied through a shared staging instance in
 * cache-sized pieces.
 *
 * @module
 */
import type { ChecksumEngine, ScratchArena } from './engine-types.js';
import { addOnesComplement } from './_arith.js';
import { sumJs } from './_js-engine.js';
import { scratchLayout, scratchViews } from './_scratch.js';
import { WASM_SUM_GRANULE, wasmSumModuleBytes } from './_wasm-module.js';

/** The part of the WebAssembly JS API this engine uses (the DOM lib that declares it is not in our tsconfig). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65_536;
/** Below this many bytes a copy and a call cost more than plain JavaScript. */
const SMALL = 512;
/** Staging piece for copied bytes: fits in L2 alongside the source. */
const STAGE = 64 * 1024;

/** One instance of the kernel with its own memory. */
class Kernel {
  readonly #memory: WasmMemory;
  readonly #sum: (pointer: number, length: number) => number;

  constructor(module: object, api: WasmApi) {
    const { exports } = new api.Instance(module, {});
    this.#memory = exports['memory'] as WasmMemory;
    this.#sum = exports['sum'] as (pointer: number, length: number) => number;
  }

  get buffer(): ArrayBuffer {
    return this.#memory.buffer;
  }

  /** Grows the memory to at least `bytes` (views into the old buffer are detached by a growth). */
  reserve(bytes: number): void {
    const have = this.#memory.buffer.byteLength;
    if (bytes > have) this.#memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** The sum of `bytes`, which must lie in this kernel's memory, as a word-aligned piece. */
  sumInPlace(bytes: Uint8Array): number {
    const body = bytes.length - (bytes.length % WASM_SUM_GRANULE);
    const sum = body === 0 ? 0 : this.#sum(bytes.byteOffset, body) >>> 0;
    // The tail starts at a multiple of 64 bytes into the piece: no rotation.
    return body === bytes.length ? sum : addOnesComplement(sum, sumJs(bytes.subarray(body)));
  }

  /** The sum of `bytes` from anywhere, copied through the start of this kernel's memory in pieces. */
  sumCopy(bytes: Uint8Array): number {
    this.reserve(STAGE);
    const stage = new Uint8Array(this.#memory.buffer, 0, STAGE);
    let total = 0;
    for (let at = 0; at < bytes.length; at += STAGE) {
      const piece = bytes.subarray(at, at + STAGE);
      stage.set(piece);
      // Each piece starts a multiple of STAGE (so of 4) bytes into `bytes`: no rotation.
      total = addOnesComplement(total, this.sumInPlace(stage.subarray(0, piece.length)));
    }
    return total;
  }
}

/**
 * The engine if this runtime can compile and run the SIMD kernel, else `undefined` (no WebAssembly global, SIMD
 * unsupported, or compilation refused by policy).
 */
export function createWasmEngine(): ChecksumEngine | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return undefined;
  let module: object;
  let staging: Kernel;
  try {
    if (!api.validate(wasmSumModuleBytes)) return undefined;
    module = new api.Module(wasmSumModuleBytes);
    staging = new Kernel(module, api);
  } catch {
    return undefined; // e.g. a content-security policy forbidding compilation: the JS engine serves instead
  }
  const sum = (bytes: Uint8Array): number => (bytes.length < SMALL ? sumJs(bytes) : staging.sumCopy(bytes));
  return {
    name: 'wasm-simd',
    sum,
    createArena(): ScratchArena {
      const kernel = new Kernel(module, api);
      return {
        views(byteLength, count) {
          const { stride, required } = scratchLayout(byteLength, count);
          kernel.reserve(required);
          return scratchViews(kernel.buffer, byteLength, stride, count);
        },
        sum: (bytes) => (bytes.buffer === kernel.buffer ? kernel.sumInPlace(bytes) : sum(bytes)),
      };
    },
  };
}
