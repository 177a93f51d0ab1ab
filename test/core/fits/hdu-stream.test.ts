import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HduStreamParser, type HduInfo } from '../../../src/core/fits/hdu-stream.js';
import { walkStream } from '../../../src/core/fits/walk.js';
import { IngestError, type IngestErrorCode } from '../../../src/core/errors.js';
import { concat, extension, hdu, latin1, headerText, primary } from '../../helpers/fits.js';

/** Runs the parser over chunks; returns HDUs, data bytes seen per HDU, and warnings. */
function run(bytes: Uint8Array, cuts: number[] = [], options = {}) {
  const data = new Map<number, number>();
  const parser = new HduStreamParser(
    { data: (h, chunk) => data.set(h.index, (data.get(h.index) ?? 0) + chunk.length) },
    { file: 'test.fits', ...options },
  );
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    parser.push(bytes.subarray(at, cut));
    at = cut;
  }
  const hdus = parser.end();
  return { hdus, data, warnings: parser.warnings };
}

function failure(f: () => unknown): IngestError {
  try {
    f();
  } catch (e) {
    if (e instanceof IngestError) return e;
    throw e;
  }
  throw new Error('expected an IngestError');
}

const mef = concat(
  hdu(primary([10, 10], 16, ['EXTEND  =                    T']), 200),
  hdu(extension('IMAGE', [100, 30], -32), 12000),
  hdu(extension('BINTABLE', [12, 5], 8, 500, 1, ['TFIELDS =                    1', "TFORM1  = '1PB(40) '"]), 560),
  hdu(extension('TABLE', [21, 3], 8, 0, 1, ['TFIELDS =                    1']), 63, 0x20),
  hdu(extension('FOREIGN', [5000], 8, 0, 1, ["FILENAME= 'night.log'"]), 5000),
  hdu(extension('MYEXT', [7, 3], 32, 10, 2), 2 * 4 * (10 + 21)),
);

describe('HduStreamParser', () => {
  it('finds every HDU type with offsets and data sizes', () => {
    const { hdus, data } = run(mef);
    expect(hdus.map((h) => [h.layout.kind, h.layout.dataSize])).toEqual([
      ['primary', 200],
      ['image', 12000],
      ['bintable', 560],
      ['table', 63],
      ['foreign', 5000],
      ['extension', 248],
    ]);
    expect(hdus[3]!.layout.fillByte).toBe(0x20);
    let offset = 0;
    for (const h of hdus) {
      expect(h.headerOffset).toBe(offset);
      expect(h.dataOffset).toBe(offset + h.headerSize);
      expect(data.get(h.index) ?? 0).toBe(h.layout.paddedSize);
      offset = h.dataOffset + h.layout.paddedSize;
    }
    expect(offset).toBe(mef.length);
  });

  it('sizes random groups without NAXIS1', () => {
    const groups = hdu(primary([0, 3, 2], -32, ['GROUPS  =                    T', 'PCOUNT  =                    4', 'GCOUNT  =                   10']), 400);
    const [h] = run(groups).hdus;
    expect(h!.layout.kind).toBe('random-groups');
    expect(h!.layout.dataSize).toBe(4 * 10 * (4 + 6));
  });

  it('gives the same result for any chunking (property)', () => {
    const whole = run(mef);
    fc.assert(
      fc.property(fc.array(fc.nat(mef.length), { maxLength: 60 }), (cuts) => {
        const chunked = run(mef, cuts);
        expect(chunked.hdus.map((h) => [h.headerOffset, h.dataOffset, h.layout.dataSize])).toEqual(
          whole.hdus.map((h) => [h.headerOffset, h.dataOffset, h.layout.dataSize]),
        );
        expect([...chunked.data]).toEqual([...whole.data]);
      }),
      { numRuns: 300 },
    );
  });

  it('walks an async stream', async () => {
    async function* chunks() {
      for (let i = 0; i < mef.length; i += 1000) yield mef.subarray(i, i + 1000);
    }
    const seen: HduInfo[] = [];
    for await (const h of walkStream(chunks())) seen.push(h);
    expect(seen).toHaveLength(6);
  });

  const fails = (bytes: Uint8Array, code: IngestErrorCode, options = {}) => {
    const error = failure(() => run(bytes, [], options));
    expect(error.code).toBe(code);
    expect(error.context.file).toBe('test.fits');
    return error;
  };

  it('names empty, non-FITS and too-short files', () => {
    fails(new Uint8Array(0), 'EMPTY_FILE');
    fails(latin1('SIMP'), 'NOT_FITS');
    fails(latin1('%PDF-1.4 '.padEnd(4000, 'x')), 'NOT_FITS');
  });

  it('reports truncation in the header and in the data with the offset', () => {
    const file = hdu(primary([100, 100], 16), 20000);
    const inHeader = fails(file.subarray(0, 1000), 'TRUNCATED');
    expect(inHeader.context.hdu).toBe(0);
    const inData = fails(file.subarray(0, 10000), 'TRUNCATED');
    expect(inData.context.offset).toBe(10000);
    expect(inData.message).toMatch(/test\.fits, HDU 0, byte 10000: .*inside the data of HDU 0/);
  });

  it('tolerates a missing final data fill in lenient mode only', () => {
    const file = hdu(primary([100], 8), 100).subarray(0, 2880 + 100);
    expect(run(file).warnings.map((w) => w.code)).toEqual(['MISSING_DATA_FILL']);
    fails(file, 'TRUNCATED', { strict: true });
  });

  it('reports a missing END before binary data, and at a block boundary', () => {
    const noEnd = latin1(headerText(primary([2880], 8), { end: false }));
    const binary = new Uint8Array(2880).fill(1);
    expect(fails(concat(noEnd, binary), 'MISSING_END').context.offset).toBe(2880);
    fails(noEnd, 'MISSING_END');
  });

  it('rejects impossible mandatory keywords, naming the keyword', () => {
    expect(fails(hdu(primary([10], 12)), 'BAD_KEYWORD_VALUE').context.keyword).toBe('BITPIX');
    expect(fails(hdu(primary([-5], 8)), 'BAD_KEYWORD_VALUE').context.keyword).toBe('NAXIS1');
    expect(fails(hdu(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                  1.5']), 'BAD_KEYWORD_VALUE').context.keyword).toBe('NAXIS');
    expect(fails(hdu(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    2', 'NAXIS1  =                   10']), 'BAD_KEYWORD_VALUE').context.keyword).toBe('NAXIS2');
    expect(fails(concat(hdu(primary()), hdu(extension('IMAGE', [1]).filter((l) => !l.startsWith('GCOUNT')), 1)), 'BAD_KEYWORD_VALUE').context.keyword).toBe('GCOUNT');
  });

  it('fails early with SIZE_OVERRUN when the declared size passes the end of the file', () => {
    const file = hdu(primary([1000, 1000], 8));
    const error = fails(file, 'SIZE_OVERRUN', { totalSize: file.length });
    expect(error.message).toContain('declares 1000000 data bytes');
  });

  it('rejects trailing garbage unless asked to allow it', () => {
    const file = concat(hdu(primary([10], 8), 10), latin1('garbage after the last HDU'));
    expect(fails(file, 'TRAILING_GARBAGE').context.offset).toBe(5760);
    fails(concat(hdu(primary()), latin1('XTE')), 'TRAILING_GARBAGE');
    const lenient = run(file, [], { allowTrailing: true });
    expect(lenient.hdus).toHaveLength(1);
    expect(lenient.warnings.map((w) => w.code)).toEqual(['TRAILING_BLOCKS']);
  });

  it('bounds the header size', () => {
    const huge = latin1(headerText([...primary(), ...Array.from({ length: 400 }, (_, i) => `KEY${i} = ${i}`)], { end: false }));
    fails(huge, 'HEADER_TOO_LARGE', { maxHeaderBytes: 8 * 2880 });
  });

  it('reports strict-mode header violations with HDU context', () => {
    const file = concat(hdu(primary()), hdu([...extension('IMAGE', [4]), 'lower   = 1'], 4));
    const error = fails(file, 'NONCONFORMING_HEADER', { strict: true });
    expect(error.context.hdu).toBe(1);
    expect(run(file).warnings).toMatchObject([{ code: 'LOWERCASE_KEYWORD', hdu: 1, card: 7 }]);
  });
});
