import { describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { isIngestError } from '../../../src/core/errors.js';
import { checkNight, isCalendarDate } from '../../../src/core/normalize/night.js';
import { cli } from '../../helpers/cli.js';

const IMPOSSIBLE = ['9999-99-99', '2026-02-31', '2026-13-01', '2026-00-10', '2026-04-31', '2025-02-29', '20261120', '2026-1-5'];

describe('nights are real dates', () => {
  it('accepts calendar dates and refuses impossible ones with INVALID_OPTIONS naming the field', () => {
    for (const night of ['2026-11-20', '2024-02-29', '2000-02-29', '1999-12-31']) expect(checkNight(night, '--from')).toBe(night);
    for (const night of IMPOSSIBLE) {
      expect(isCalendarDate(night), night).toBe(false);
      let error: unknown;
      try {
        checkNight(night, '--from');
      } catch (e) {
        error = e;
      }
      expect(isIngestError(error, 'INVALID_OPTIONS'), night).toBe(true);
      expect(String((error as Error).message)).toContain(`--from: "${night}" is not a real date`);
    }
  });

  it('catalog queries refuse an impossible night bound instead of comparing strings', async () => {
    const catalog = createMemoryCatalog();
    await catalog.init();
    await expect(catalog.findArchived({ nightFrom: '2026-02-31' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(catalog.findArchived({ nightTo: '9999-99-99' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(catalog.findArchived({ nightFrom: '2026-02-28', nightTo: '2026-03-01' })).resolves.toEqual([]);
  });

  it('command-line night options say which option holds an impossible date (exit 2)', async () => {
    const r = await cli('catalog', 'query', '--catalog', 'memory:', '--from', '2026-02-31');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from: "2026-02-31" is not a real date');
  });
});
