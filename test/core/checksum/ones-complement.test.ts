import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsChecksumEngine, wasmChecksumEngine, type ChecksumEngine } from '../../../src/core/checksum/engine.js';
import {
  addOnesComplement,
  ChecksumAccumulator,
  onesComplementSum,
} from '../../../src/core/checksum/ones-complement.js';
import { misaligned, referenceSum, seededBytes } from './_reference.js';

/** Sorted cut points inside [0, length]. */
const cutsOf = (length: number) => fc.uniqueArray(fc.nat(length), { maxLength: 12 }).map((c) => c.sort((a, b) => a - b));

describe('addOnesComplement', () => {
  it('adds with end-around carry', () => {
    expect(addOnesComplement(0xffffffff, 1)).toBe(1);
    expect(addOnesComplement(0xfffffffe, 1)).toBe(0xffffffff);
    expect(addOnesComplement(0x80000000, 0x80000000)).toBe(1);
    expect(addOnesComplement(0, 0)).toBe(0);
  });

  it('is commutative and associative on uint32', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(u32, u32, u32, (a, b, c) => {
        expect(addOnesComplement(a, b)).toBe(addOnesComplement(b, a));
        expect(addOnesComplement(addOnesComplement(a, b), c)).toBe(addOnesComplement(a, addOnesComplement(b, c)));
      }),
    );
  });
});

describe('onesComplementSum', () => {
  it('rotates a piece right by 8 bits per byte of stream offset', () => {
    expect(onesComplementSum(new Uint8Array([0x12, 0x34, 0x56, 0x78]), 0)).toBe(0x12345678);
    expect(onesComplementSum(new Uint8Array([0x12, 0x34, 0x56, 0x78]), 1)).toBe(0x78123456);
    expect(onesComplementSum(new Uint8Array([0x12, 0x34, 0x56, 0x78]), 2)).toBe(0x56781234);
    expect(onesComplementSum(new Uint8Array([0x12, 0x34, 0x56, 0x78]), 7)).toBe(0x34567812);
    expect(onesComplementSum(new Uint8Array([0xab]), 3)).toBe(0xab);
  });

  it('equals the reference for any offset, and adds `initial`', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(1 << 20), fc.integer({ min: 0, max: 0xffffffff }), (bytes, offset, initial) => {
        expect(onesComplementSum(bytes, offset)).toBe(referenceSum(bytes, offset));
        expect(onesComplementSum(bytes, offset, initial)).toBe(addOnesComplement(initial, referenceSum(bytes, offset)));
      }),
    );
  });

  it('sums a stream cut anywhere, with each piece given its offset, to the whole sum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }).chain((bytes) => fc.tuple(fc.constant(bytes), cutsOf(bytes.length), fc.nat(7))),
        ([bytes, cuts, start]) => {
          // The stream starts at `start`: the whole is one piece at that offset.
          const whole = onesComplementSum(bytes, start);
          let sum = 0;
          let from = 0;
          for (const to of [...cuts, bytes.length]) {
            sum = onesComplementSum(misaligned(bytes.subarray(from, to), to % 5), start + from, sum);
            from = to;
          }
          expect(sum).toBe(whole);
        },
      ),
    );
  });
});

const engines = [jsChecksumEngine, wasmChecksumEngine].filter((e): e is ChecksumEngine => e !== undefined);

describe.each(engines.map((engine) => [engine.name, engine] as const))('ChecksumAccumulator (%s)', (_name, engine) => {
  it('gives the same digest for every chunking, and counts bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 20_000 }).chain((bytes) => fc.tuple(fc.constant(bytes), cutsOf(bytes.length))),
        fc.integer({ min: 0, max: 0xffffffff }),
        ([bytes, cuts], initial) => {
          const acc = new ChecksumAccumulator(initial, engine);
          let from = 0;
          for (const to of [...cuts, bytes.length]) {
            acc.update(misaligned(bytes.subarray(from, to), from % 4));
            from = to;
          }
          expect(acc.bytes).toBe(bytes.length);
          expect(acc.digest()).toBe(addOnesComplement(initial, referenceSum(bytes)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('continues after digest() and starts over after reset()', () => {
    const bytes = seededBytes(10_001, 3);
    const acc = new ChecksumAccumulator(0, engine);
    acc.update(bytes.subarray(0, 4999));
    const half = acc.digest();
    expect(half).toBe(referenceSum(bytes.subarray(0, 4999)));
    acc.update(bytes.subarray(4999));
    expect(acc.digest()).toBe(referenceSum(bytes));
    acc.reset(7);
    expect(acc.bytes).toBe(0);
    expect(acc.digest()).toBe(7);
    acc.update(bytes);
    expect(acc.digest()).toBe(addOnesComplement(7, referenceSum(bytes)));
  });

  it('sums double-buffered reads into its scratch memory like plain updates', () => {
    const file = seededBytes(1_000_003, 11);
    const acc = new ChecksumAccumulator(0, engine);
    let [current, next] = acc.scratch(65_536);
    // Reads of uneven sizes, as a file reader may get them.
    for (let at = 0, turn = 0; at < file.length; turn++) {
      const length = Math.min(file.length - at, 65_536 - (turn % 7) * 13);
      current.set(file.subarray(at, at + length));
      acc.commit(current, length);
      at += length;
      [current, next] = [next, current];
    }
    expect(acc.bytes).toBe(file.length);
    expect(acc.digest()).toBe(referenceSum(file));
  });

  it('sums a ring of scratch views filled in turn', () => {
    const file = seededBytes(300_001, 12);
    const acc = new ChecksumAccumulator(0, engine);
    const ring = acc.scratch(10_000, 4);
    expect(ring).toHaveLength(4);
    for (let at = 0, turn = 0; at < file.length; turn++) {
      const view = ring[turn % ring.length]!;
      const length = Math.min(file.length - at, view.length);
      view.set(file.subarray(at, at + length));
      acc.commit(view, length);
      at += length;
    }
    expect(acc.digest()).toBe(referenceSum(file));
  });

  it('mixes scratch commits and ordinary updates', () => {
    const bytes = seededBytes(9_999, 4);
    const acc = new ChecksumAccumulator(0, engine);
    const [view] = acc.scratch(5000);
    acc.update(bytes.subarray(0, 3));
    view.set(bytes.subarray(3, 5003));
    acc.commit(view);
    acc.update(bytes.subarray(5003));
    expect(acc.digest()).toBe(referenceSum(bytes));
  });

  it('refuses to commit more bytes than the view holds', () => {
    const acc = new ChecksumAccumulator(0, engine);
    const [view] = acc.scratch(100);
    expect(() => acc.commit(view, 101)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => acc.commit(view, -1)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(acc.bytes).toBe(0);
  });
});

// Node 20 always has WebAssembly SIMD (engine.test.ts asserts it): no skip when the engine is missing, a failure.
it('refuses a scratch view detached by a larger scratch request (WebAssembly engine)', () => {
  expect(wasmChecksumEngine, 'the WebAssembly checksum engine did not load').toBeDefined();
  const acc = new ChecksumAccumulator(0, wasmChecksumEngine);
  const [small] = acc.scratch(1000);
  acc.scratch(10_000_000);
  expect(small.length).toBe(0);
  expect(() => acc.commit(small, 1000)).toThrow(/detached/);
});
