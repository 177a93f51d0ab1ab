import { describe, expect, it } from 'vitest';
import { createHeader } from '../../../src/core/fits/build.js';
import { dataLayout } from '../../../src/core/fits/hdu-layout.js';
import { decodePixels, imagePlane, type ImagePlane } from '../../../src/core/distribute/pixels.js';

function encode(bitpix: number, values: number[]): Uint8Array {
  const size = Math.abs(bitpix) / 8;
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    if (bitpix === 8) view.setUint8(at, v);
    else if (bitpix === 16) view.setInt16(at, v);
    else if (bitpix === 32) view.setInt32(at, v);
    else if (bitpix === 64) view.setBigInt64(at, BigInt(v));
    else if (bitpix === -32) view.setFloat32(at, v);
    else view.setFloat64(at, v);
  });
  return bytes;
}

describe('imagePlane and decodePixels', () => {
  it.each([
    [8, [0, 7, 255], { BZERO: -128, BLANK: 7 }, [-128, Number.NaN, 127]],
    [16, [-32768, 0, 32767, -1], { BZERO: 32768, BLANK: -1 }, [0, 32768, 65535, Number.NaN]],
    [32, [-5, 10, 99], { BSCALE: 0.5, BZERO: 1, BLANK: 99 }, [-1.5, 6, Number.NaN]],
    [64, [-2, 3, 9007199254740991], { BSCALE: 2 }, [-4, 6, 2 * 9007199254740991]],
    [-32, [1.5, Number.NaN, -2.25], { BSCALE: 2, BZERO: 1 }, [4, Number.NaN, -3.5]],
    [-64, [1e-300, -7.125, Number.NaN], {}, [1e-300, -7.125, Number.NaN]],
  ] as const)('BITPIX %i with scaling and BLANK', (bitpix, stored, cards, physical) => {
    const header = createHeader({ primary: true, bitpix, axes: [stored.length, 1, 2], cards: Object.entries(cards) as [string, number][] });
    const plane = imagePlane(header, dataLayout(header, true)) as ImagePlane;
    expect(plane).toMatchObject({ width: stored.length, height: 1, bitpix });
    const out = decodePixels(plane, encode(bitpix, [...stored]), stored.length);
    physical.forEach((v, i) => (Number.isNaN(v) ? expect(out[i]).toBeNaN() : expect(out[i]).toBeCloseTo(v, 9)));
  });

  it('says why an HDU has no image plane', () => {
    const table = createHeader({ xtension: 'BINTABLE', axes: [8, 3], cards: [['TFIELDS', 0]] });
    expect(imagePlane(table, dataLayout(table, false))).toEqual({ none: 'bintable HDU' });
    const empty = createHeader({ primary: true, cards: [['EXTEND', true]] });
    expect(imagePlane(empty, dataLayout(empty, true))).toEqual({ none: 'no 2-D image (NAXIS = 0)' });
    const spectrum = createHeader({ primary: true, bitpix: -32, axes: [100] });
    expect(imagePlane(spectrum, dataLayout(spectrum, true))).toMatchObject({ none: expect.stringMatching(/NAXIS = 1/) });
  });
});
