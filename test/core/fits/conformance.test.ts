import { describe, expect, it } from 'vitest';
import { HduChecksummer } from '../../../src/core/checksum/hdu-checksums.js';
import { onesComplementSum } from '../../../src/core/checksum/ones-complement.js';
import { classifyViolation, DEFAULT_CONFORMANCE, judgeConformance } from '../../../src/core/fits/conformance.js';
import { HduStreamParser, type FitsWarning } from '../../../src/core/fits/hdu-stream.js';
import { concat, extension, hdu, headerText, latin1, primary } from '../../helpers/fits.js';

describe('missing fill repair in the stream parser', () => {
  it('hands an ASCII table the blanks it lacks, so its DATASUM is that of the padded unit', () => {
    const table = hdu(extension('TABLE', [10, 3], 8, 0, 1, ['TFIELDS =                    1', "TFORM1  = 'A10'", 'TBCOL1  =                    1']), 30, 0x20);
    const file = concat(hdu(primary()), table);
    const cut = file.subarray(0, file.length - (2880 - 30));
    const sums = new HduChecksummer();
    const parser = new HduStreamParser(sums, { repairFill: true });
    parser.push(cut);
    parser.end();
    expect(parser.warnings).toEqual([
      expect.objectContaining({ code: 'MISSING_DATA_FILL', hdu: 1, offset: cut.length, message: expect.stringContaining('2850 fill bytes missing') }),
    ]);
    expect(sums.results[1]!.datasum).toBe(onesComplementSum(table.subarray(table.length - 2880)));
    // Without repair, the sum covers only the bytes present.
    const plain = new HduChecksummer();
    const lenient = new HduStreamParser(plain);
    lenient.push(cut);
    lenient.end();
    expect(plain.results[1]!.datasum).toBe(onesComplementSum(cut.subarray(cut.length - 30)));
  });
});

describe('judgeConformance', () => {
  const w = (code: FitsWarning['code'], keyword?: string): FitsWarning => ({ code, message: 'm', hdu: 1, card: 9, offset: 3520, ...(keyword ? { keyword } : {}) });

  it('refuses what fitsverify rejects, naming HDU, card and byte offset', () => {
    const error = judgeConformance([w('DUPLICATE_KEYWORD', 'NAXIS1'), w('UNTERMINATED_STRING', 'OBJECT')], DEFAULT_CONFORMANCE, { file: 'f.fits' });
    expect(error?.code).toBe('NONCONFORMING_HEADER');
    expect(error?.context).toMatchObject({ file: 'f.fits', hdu: 1, card: 9, offset: 3520, keyword: 'NAXIS1' });
    expect(error?.message).toContain('HDU 1 card 9 byte 3520 (NAXIS1): DUPLICATE_KEYWORD');
  });

  it('follows the policy for fills and minor issues', () => {
    expect(judgeConformance([w('MISSING_DATA_FILL'), w('DUPLICATE_KEYWORD', 'OBSERVER'), w('BAD_VALUE_INDICATOR')], DEFAULT_CONFORMANCE)).toBeUndefined();
    expect(judgeConformance([w('MISSING_DATA_FILL')], { ...DEFAULT_CONFORMANCE, missingFill: 'reject' })?.code).toBe('MISSING_DATA_FILL');
    expect(judgeConformance([w('DUPLICATE_KEYWORD', 'OBSERVER')], { ...DEFAULT_CONFORMANCE, minorIssues: 'reject' })?.code).toBe('NONCONFORMING_HEADER');
    expect(['SIMPLE', 'BITPIX', 'NAXIS2', 'TFORM3'].map((k) => classifyViolation(w('DUPLICATE_KEYWORD', k)))).toEqual(['error', 'error', 'error', 'error']);
  });

  it('a header read without violations has nothing to judge', () => {
    const parser = new HduStreamParser();
    parser.push(latin1(headerText(primary())));
    parser.end();
    expect(judgeConformance(parser.warnings, DEFAULT_CONFORMANCE)).toBeUndefined();
  });
});
