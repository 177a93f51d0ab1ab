import { describe, expect, it } from 'vitest';
import { Header } from '../../../src/core/fits/header.js';
import { addMonths, extractColumns, formatUt, normalizeHeader, repairObservationTime } from '../../../src/core/normalize/index.js';
import { builtinInstrument, parseInstrument, builtinInstrumentInputs } from '../../../src/instruments/index.js';
import { isIngestError } from '../../../src/core/errors.js';
import { createHeader } from '../../../src/core/fits/build.js';

const kcwi = builtinInstrument('kcwi');
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const MTIME = Date.UTC(2026, 10, 20, 8, 30, 15, 250);
const ctx = { originalName: 'kb261120_00042.fits', mtimeMs: MTIME, now: NOW };

function kcwiHeader(extra: [string, string | number | boolean][] = []): Header {
  return createHeader({
    primary: true,
    bitpix: 16,
    axes: [10, 10],
    cards: [
      ['INSTRUME', 'KCWI', 'instrument'],
      ['CAMERA', 'BLUE'],
      ['DATE-OBS', '2026-11-20'],
      ['UT', '08:30:15.05'],
      ['IMTYPE', 'OBJECT'],
      ['PROGID', 'K123'],
      ['PROGPI', 'Ana Astronomer'],
      ['FRAMENO', 42],
      ['XPOSURE', 300.0],
      ...extra,
    ],
  });
}

describe('normalizeHeader', () => {
  it('makes the Keck archive id (no hundredths bug) and writes the archive keywords', () => {
    const source = kcwiHeader();
    const before = source.toString();
    const n = normalizeHeader(source, kcwi, ctx);
    expect(source.toString()).toBe(before);
    expect(n.archiveId).toBe('KB.20261120.30615.05');
    expect(n.header.getString('KOAID')).toBe('KB.20261120.30615.05.fits');
    expect(n.header.getString('KOAIMTYP')).toBe('object');
    expect(n.header.getInteger('DATLEVEL')).toBe(0);
    expect(n.header.getString('SEMESTER')).toBe('2026B');
    expect(n.header.getString('OFNAME')).toBe('kb261120_00042.fits');
    expect(n.header.getString('DQA_DATE')).toBe('2026-11-20T12:00:00');
    expect(n.header.getString('DQA_VERS')).toMatch(/^fits-ingest \d/);
    expect(n.header.comment('KOAID')).toBe('ARCHIVE: archive id');
    expect(n).toMatchObject({ date: '2026-11-20', imageType: 'object', program: 'K123', pi: 'Ana Astronomer', proprietaryMonths: 18, releaseDate: '2028-05-20' });
    expect(n.warnings).toEqual([]);
  });

  it('rewrites legacy dates and keeps the original in the comment', () => {
    const h = kcwiHeader();
    h.set('DATE-OBS', '20/11/26');
    const n = normalizeHeader(h, kcwi, ctx);
    expect(n.header.getString('DATE-OBS')).toBe('2026-11-20');
    expect(n.header.comment('DATE-OBS')).toBe("ARCHIVE: corrected (was '20/11/26')");
    expect(n.warnings.map((w) => w.code)).toContain('DATE_OBS_REWRITTEN');
  });

  it('rebuilds a missing DATE-OBS and UT from the file time, with warnings', () => {
    const h = kcwiHeader();
    h.delete('DATE-OBS');
    h.set('UT', 'garbage');
    const n = normalizeHeader(h, kcwi, ctx);
    expect(n.date).toBe('2026-11-20');
    expect(formatUt(n.utSeconds)).toBe('08:30:15.25');
    expect(n.archiveId).toBe('KB.20261120.30615.25');
    expect(n.warnings.map((w) => w.code)).toEqual(['DATE_OBS_FROM_MTIME', 'UT_FROM_MTIME']);
    expect(n.header.comment('UT')).toBe("ARCHIVE: from file time (was 'garbage')");
  });

  it('takes the time from an ISO date-time DATE-OBS when UT is missing', () => {
    const h = kcwiHeader();
    h.set('DATE-OBS', '2026-11-20T23:59:59.995');
    h.delete('UT');
    const n = normalizeHeader(h, kcwi, ctx);
    expect(n.archiveId).toBe('KB.20261120.86399.99');
    expect(n.header.getString('DATE-OBS')).toBe('2026-11-20');
  });

  it('rejects an unrepairable date when the rules say so', () => {
    const strict = parseInstrument({ ...builtinInstrumentInputs.kcwi, dateRepair: { onInvalidDate: 'reject', onInvalidTime: 'reject' } }, 'strict-kcwi');
    const h = kcwiHeader();
    h.set('DATE-OBS', '2026-13-45');
    try {
      normalizeHeader(h, strict, ctx);
      expect.unreachable();
    } catch (e) {
      expect(isIngestError(e, 'BAD_DATE_OBS')).toBe(true);
      expect((e as Error).message).toContain("'2026-13-45'");
    }
  });

  it('corrects INSTRUME aliases and flags a mismatched original name', () => {
    const h = kcwiHeader([['OFNAME', 'other.fits']]);
    h.set('INSTRUME', 'KCWI-BLUE');
    const n = normalizeHeader(h, kcwi, ctx);
    expect(n.header.getString('INSTRUME')).toBe('KCWI');
    expect(n.warnings.map((w) => w.code).sort()).toEqual(['INSTRUME_CORRECTED', 'OFNAME_MISMATCH']);
  });

  it("a product's OFNAME is its own name: a copied raw header's OFNAME is replaced (kept in ORIGCARD), not flagged", () => {
    const n = normalizeHeader(kcwiHeader([['OFNAME', 'kb261120_00007.fits']]), kcwi, { ...ctx, level: 2 });
    expect(n.header.getString('OFNAME')).toBe(ctx.originalName);
    expect(n.warnings.map((w) => w.code)).not.toContain('OFNAME_MISMATCH');
    expect(n.header.toJSON().some((c) => c.keyword === 'HISTORY' && String(c.value ?? c.comment).includes('kb261120_00007.fits'))).toBe(true);
  });
});

describe('extractColumns', () => {
  it('types values, and stores out-of-range ones as null with a warning', () => {
    const n = normalizeHeader(kcwiHeader([['CCDMODE', 7]]), kcwi, ctx);
    const { columns, warnings } = extractColumns(kcwi, n.header);
    expect(columns['frameno']).toBe(42);
    expect(columns['camera']).toBe('BLUE');
    expect(columns['xposure']).toBe(300);
    expect(columns['ccdmode']).toBeNull();
    expect(warnings.map((w) => w.code)).toContain('COLUMN_VALUE_REJECTED');
  });
});

describe('helpers', () => {
  it('adds months clamping to the end of the month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2026-11-20', 18)).toBe('2028-05-20');
  });
  it('repairs time without touching the header', () => {
    const h = kcwiHeader();
    const t = repairObservationTime(kcwi, h, MTIME);
    expect(t).toMatchObject({ date: '2026-11-20', edits: [], warnings: [] });
  });
});
