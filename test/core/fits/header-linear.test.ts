import { describe, expect, it } from 'vitest';
import { Header } from '../../../src/core/fits/header.js';
import { headerText, latin1 } from '../../helpers/fits.js';

/** A primary header whose LONGSTR value runs over `n` CONTINUE cards. */
function continueHeader(n: number): Uint8Array {
  const lines = ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0', "LONGSTR = 'start&'"];
  for (let i = 0; i < n; i++) lines.push(`CONTINUE  'piece ${String(i).padStart(6, '0')} of a very long string value&'`);
  lines.push("CONTINUE  'end'");
  return latin1(headerText(lines));
}

/** A primary header of `n` HIERARCH cards. */
function hierarchHeader(n: number): Uint8Array {
  const lines = ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0'];
  for (let i = 0; i < n; i++) lines.push(`HIERARCH ESO DET CHIP${i} GAIN = ${(1 + i / 1000).toFixed(4)} / e-/ADU`);
  return latin1(headerText(lines));
}

/**
 * How much longer one parse of `large` takes than one of `small`: the median over interleaved rounds of the ratio
 * within each round, after warm-up runs. Each round times the same amount of work on both sides (`large` once,
 * `small` as many times as it is smaller), so that JIT compilation, garbage collection and a busy machine weigh on
 * both alike.
 */
function ratio(small: Uint8Array, large: Uint8Array, rounds = 11): number {
  const times = Math.round(large.length / small.length);
  // CPU time of this process rather than wall time: on a shared machine the test is often waiting for a core.
  const time = (bytes: Uint8Array, n: number): number => {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) Header.parse(bytes);
    const used = process.cpuUsage(start);
    return used.user + used.system;
  };
  time(small, times);
  time(large, 1);
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = time(small, times) / times;
    const b = time(large, 1);
    ratios.push(b / a);
  }
  return ratios.sort((x, y) => x - y)[Math.floor(rounds / 2)]!;
}

describe('Header.parse cost is linear in the number of cards', () => {
  it('joins a 40,000-card CONTINUE chain in at most 5x the time of a 10,000-card one', () => {
    const small = continueHeader(10_000);
    const large = continueHeader(40_000);
    const value = Header.parse(large).header.getString('LONGSTR')!;
    expect(value.startsWith('startpiece 000000 of a very long string value')).toBe(true);
    expect(value.endsWith('piece 039999 of a very long string valueend')).toBe(true);
    expect(value).not.toContain('&');
    expect(ratio(small, large)).toBeLessThanOrEqual(5);
  });

  // 40,000 distinct keywords overflow the CPU caches (duplicate-keyword map, surviving card objects), so the
  // ratio runs near 4.5 on a loaded machine; 8 keeps the test steady and still fails a quadratic reader (16).
  it('reads 40,000 HIERARCH cards in at most 8x the time of 10,000', () => {
    const small = hierarchHeader(10_000);
    const large = hierarchHeader(40_000);
    expect(Header.parse(large).header.getNumber('ESO DET CHIP39999 GAIN')).toBeCloseTo(40.999);
    expect(ratio(small, large)).toBeLessThanOrEqual(8);
  });
});
