import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it('reads each unit and compound durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(' 2d ')).toBe(172_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });

  it('refuses a bare number, an unknown unit, zero and trailing text, naming the option', () => {
    for (const bad of ['3600', '5w', '0s', '1h and more', '']) {
      expect(() => parseDuration(bad, 'upload-ttl')).toThrow(/--upload-ttl .*expected a duration such as 90s/);
    }
  });
});
