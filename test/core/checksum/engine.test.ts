import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChecksumEngine,
  checksumEngine,
  jsChecksumEngine,
  wasmChecksumEngine,
} from '../../../src/core/checksum/engine.js';
import { misaligned, referenceSum, seededBytes } from './_reference.js';

const engines = [jsChecksumEngine, wasmChecksumEngine].filter((e): e is ChecksumEngine => e !== undefined);

it('picks WebAssembly SIMD on Node 20', () => {
  expect(wasmChecksumEngine).toBeDefined();
  expect(checksumEngine.name).toBe('wasm-simd');
});

describe.each(engines.map((engine) => [engine.name, engine] as const))('the %s engine', (_name, engine) => {
  it('sums the empty piece to 0 and all zeros to 0', () => {
    expect(engine.sum(new Uint8Array(0))).toBe(0);
    expect(engine.sum(new Uint8Array(100_000))).toBe(0);
  });

  it('gives -0 (0xFFFFFFFF), never 0, for non-zero bytes whose sum is a multiple of 2^32 - 1', () => {
    expect(engine.sum(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff);
    expect(engine.sum(new Uint8Array([0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1]))).toBe(0xffffffff);
    expect(engine.sum(new Uint8Array(4096).fill(0xff))).toBe(0xffffffff);
  });

  it('handles the trailing partial word as the high bytes of a word', () => {
    expect(engine.sum(new Uint8Array([1]))).toBe(0x01000000);
    expect(engine.sum(new Uint8Array([1, 2, 3]))).toBe(0x01020300);
    expect(engine.sum(new Uint8Array([0, 0, 0, 1, 2]))).toBe(0x02000001);
  });

  it('equals the plain reference for random bytes of random lengths and byte offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 20_000 }), fc.nat(15), (bytes, misalign) => {
        expect(engine.sum(misaligned(bytes, misalign))).toBe(referenceSum(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the reference at the sizes around its internal block and staging boundaries', () => {
    for (const size of [63, 64, 65, 511, 512, 513, 4095, 4096, 4097, 4160, 65_535, 65_536, 65_537, 200_003]) {
      for (const misalign of [0, 1, 2, 3]) {
        const bytes = seededBytes(size, size + misalign);
        expect(engine.sum(misaligned(bytes, misalign)), `size ${size}, misalign ${misalign}`).toBe(referenceSum(bytes));
      }
    }
  });

  it('never overflows a lane: 9 MiB of 0xFF bytes and of random bytes', () => {
    const size = 9 * 1024 * 1024 + 7;
    for (const bytes of [new Uint8Array(size).fill(0xff), seededBytes(size, 99)]) {
      expect(engine.sum(bytes)).toBe(referenceSum(bytes));
      expect(engine.sum(misaligned(bytes, 3))).toBe(referenceSum(bytes));
    }
  });

  describe('scratch arena', () => {
    it('gives disjoint views of the size asked for, starting 64-byte aligned', () => {
      const views = engine.createArena().views(1000, 3);
      expect(views).toHaveLength(3);
      const [a, b, c] = views as [Uint8Array, Uint8Array, Uint8Array];
      expect(c.length).toBe(1000);
      expect(c.byteOffset - b.byteOffset).toBeGreaterThanOrEqual(1000);
      expect(a.length).toBe(1000);
      expect(b.length).toBe(1000);
      expect(a.buffer).toBe(b.buffer);
      expect(a.byteOffset % 64).toBe(0);
      expect(b.byteOffset % 64).toBe(0);
      a.fill(1);
      b.fill(2);
      expect(a.every((x) => x === 1)).toBe(true);
    });

    it('sums views of its memory, whole or in part, like any other bytes', () => {
      const arena = engine.createArena();
      const [a, b] = arena.views(70_000, 2) as [Uint8Array, Uint8Array];
      const bytes = seededBytes(70_000, 5);
      a.set(bytes);
      b.set(bytes);
      for (const [start, end] of [[0, 70_000], [3, 70_000], [1, 69_999], [64, 4160], [5, 6]] as const) {
        expect(arena.sum(a.subarray(start, end))).toBe(referenceSum(bytes.subarray(start, end)));
        expect(arena.sum(b.subarray(start, end))).toBe(referenceSum(bytes.subarray(start, end)));
      }
      expect(arena.sum(bytes)).toBe(referenceSum(bytes)); // bytes from elsewhere
    });

    it('keeps the same memory for a request no larger than before', () => {
      const arena = engine.createArena();
      const [a] = arena.views(100_000, 2) as [Uint8Array];
      const [again] = arena.views(50_000, 3) as [Uint8Array];
      expect(again.buffer).toBe(a.buffer);
      expect(a.length).toBe(100_000);
    });

    it('refuses sizes it cannot give', () => {
      const arena = engine.createArena();
      for (const [size, count] of [[0, 2], [-1, 2], [1.5, 2], [2 ** 31, 1], [Number.NaN, 2], [10, 0], [10, 17], [10, 1.5], [2 ** 30, 3]]) {
        expect(() => arena.views(size!, count!)).toThrow(expect.objectContaining({ name: 'IngestError', code: 'INVALID_OPTIONS' }));
      }
    });
  });
});
