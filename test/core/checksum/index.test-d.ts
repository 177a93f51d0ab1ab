import { describe, expectTypeOf, it } from 'vitest';
import {
  type ChecksumEngine,
  type ChecksumEngineName,
  ChecksumAccumulator,
  checksumEngine,
  decodeChecksum,
  encodeChecksum,
  onesComplementSum,
  wasmChecksumEngine,
} from '../../../src/index.js';

describe('checksum public types', () => {
  it('sums and encodings are numbers and strings', () => {
    expectTypeOf(onesComplementSum).parameters.toEqualTypeOf<[bytes: Uint8Array, streamOffset?: number, initial?: number]>();
    expectTypeOf(onesComplementSum).returns.toEqualTypeOf<number>();
    expectTypeOf(encodeChecksum).returns.toEqualTypeOf<string>();
    expectTypeOf(decodeChecksum).returns.toEqualTypeOf<number>();
  });

  it('scratch() gives a typed pair by default and a ring when asked', () => {
    const acc = new ChecksumAccumulator();
    expectTypeOf(acc.scratch(1024)).toEqualTypeOf<readonly [Uint8Array, Uint8Array]>();
    expectTypeOf(acc.scratch(1024, 4)).toEqualTypeOf<readonly Uint8Array[]>();
    expectTypeOf(acc.bytes).toEqualTypeOf<number>();
    // @ts-expect-error bytes is read-only
    acc.bytes = 1;
  });

  it('engines are named by a closed union; the WebAssembly one may be missing', () => {
    expectTypeOf(checksumEngine.name).toEqualTypeOf<ChecksumEngineName>();
    expectTypeOf<ChecksumEngineName>().toEqualTypeOf<'wasm-simd' | 'js'>();
    expectTypeOf(wasmChecksumEngine).toEqualTypeOf<ChecksumEngine | undefined>();
  });
});
