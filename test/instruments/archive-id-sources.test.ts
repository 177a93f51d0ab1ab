/** Issue 11: ids from anything in the frame — {NIGHT}, {FRAME} with fallbacks, {FILE}, {KEYWORD:OFNAME}, no silent suffix. */
import { describe, expect, it } from 'vitest';
import { Header } from '../../src/core/fits/header.js';
import { isIngestError } from '../../src/core/errors.js';
import { normalizeHeader } from '../../src/core/normalize/index.js';
import { parseInstrument, type InstrumentInput } from '../../src/instruments/index.js';
import { hdu, primary } from '../helpers/fits.js';

const ctx = { originalName: 'd2005.fits', mtimeMs: Date.UTC(2026, 10, 20, 4, 0, 0), now: Date.UTC(2026, 10, 21) };
const header = (lines: string[]) => Header.parse(hdu(primary([], 8, ["INSTRUME= 'LOCAM'", "DATE-OBS= '2026-11-20T04:12:33.456'", ...lines]))).header;
const locam = (archiveId: Record<string, unknown>, extra: Partial<InstrumentInput> = {}) =>
  parseInstrument({ name: 'LOCAM', site: { night: 'local-evening', utcOffsetHours: -8 }, outputKeywords: { archiveId: 'LOARCID' }, archiveId: { scheme: 'template', ...archiveId }, ...extra } as InstrumentInput, 'mem');

describe('archive ids from anything in the frame', () => {
  it('uses FRAMENO first, then a capture from the file name, then the UT seconds', () => {
    const d = locam({ template: 'LO-{NIGHT:YYYYMMDD}-{FRAME:4}', frameNumber: [{ keyword: 'FRAMENO' }, { fileName: '^d(\\d+)\\.fits$' }, { utSeconds: true }] });
    expect(normalizeHeader(header(['FRAMENO =                   17']), d, ctx).archiveId).toBe('LO-20261119-0017');
    expect(normalizeHeader(header([]), d, ctx).archiveId).toBe('LO-20261119-2005');
    expect(normalizeHeader(header([]), d, { ...ctx, originalName: 'focus.fits' }).archiveId).toBe('LO-20261119-15153');
  });

  it('fails with ARCHIVE_ID_FAILED naming what it tried when no source gives a frame number', () => {
    const d = locam({ template: 'LO-{FRAME:4}', frameNumber: [{ keyword: 'FRAMENO' }, { fileName: '^d(\\d+)\\.fits$' }] });
    try {
      normalizeHeader(header([]), d, { ...ctx, originalName: 'focus.fits' });
      expect.unreachable();
    } catch (error) {
      expect(isIngestError(error, 'ARCHIVE_ID_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/tried keyword FRAMENO, file name/);
    }
  });

  it('can use OFNAME (filled before the id) and the file name, and writes the id without a .fits suffix', () => {
    const byOfname = normalizeHeader(header([]), locam({ template: '{INSTRUMENT}-{KEYWORD:OFNAME}' }), ctx);
    expect(byOfname.archiveId).toBe('LOCAM-d2005.fits');
    const byFile = normalizeHeader(header([]), locam({ template: 'LO-{FILE}' }), ctx);
    expect(byFile.archiveId).toBe('LO-d2005');
    expect(byFile.header.get('LOARCID')).toBe('LO-d2005');
  });

  it('rejects a fileName pattern without a capture group when the description loads', () => {
    expect(() => locam({ template: 'LO-{FRAME}', frameNumber: [{ fileName: '^d\\d+' }] })).toThrow(/capture group/);
    expect(() => locam({ template: 'LO-{FRAME}', frameNumber: [{ fileName: '(' }] })).toThrow(/not a regular expression/);
  });
});

describe('normalization policy', () => {
  const policy = (normalization: Record<string, string>) =>
    locam({ template: 'LO-{FILE}' }, { aliases: ['Lone Oak CCD'], normalization } as Partial<InstrumentInput>);

  it('keeps INSTRUME, DATE-OBS and the missing time as written with keep', () => {
    const n = normalizeHeader(header([]), policy({ instrument: 'keep', dateObs: 'keep', time: 'keep', imageType: 'keep', originalName: 'keep' }), ctx);
    expect(n.header.get('DATE-OBS')).toBe('2026-11-20T04:12:33.456');
    expect(n.header.get('UTC')).toBeUndefined();
    expect(n.header.get('KOAIMTYP')).toBeUndefined();
    expect(n.header.get('OFNAME')).toBeUndefined();
    expect(n.utSeconds).toBeCloseTo(15153.456, 6);
    expect(n.night).toBe('2026-11-19');
  });

  it('refuses what require requires', () => {
    const code = (lines: string[], rules: Record<string, string>, name = ctx.originalName) => {
      try {
        normalizeHeader(Header.parse(hdu(primary([], 8, lines))).header, policy(rules), { ...ctx, originalName: name });
        return 'ok';
      } catch (error) {
        return isIngestError(error) ? error.code : String(error);
      }
    };
    expect(code(["INSTRUME= 'Kast'", "DATE-OBS= '2026-11-20'", "UTC     = '04:00:00'"], { instrument: 'require' })).toBe('NORMALIZATION_REQUIRED');
    expect(code(["INSTRUME= 'lone oak ccd'", "DATE-OBS= '2026-11-20'", "UTC     = '04:00:00'"], { instrument: 'require' })).toBe('ok');
    expect(code(["INSTRUME= 'LOCAM'", "UTC     = '04:00:00'"], { dateObs: 'require' })).toBe('BAD_DATE_OBS');
    expect(code(["INSTRUME= 'LOCAM'", "DATE-OBS= '2026-11-20'"], { time: 'require' })).toBe('BAD_UT');
    expect(code(["INSTRUME= 'LOCAM'", "DATE-OBS= '2026-11-20'", "UTC     = '04:00:00'"], { imageType: 'require' })).toBe('NORMALIZATION_REQUIRED');
    expect(code(["INSTRUME= 'LOCAM'", "DATE-OBS= '2026-11-20'", "UTC     = '04:00:00'"], { originalName: 'require' })).toBe('NORMALIZATION_REQUIRED');
  });
});

describe('rules on extension keywords', () => {
  const file = (redDetector: string | undefined) => {
    const primaryHeader = header(["OBSTYPE = 'OBJECT  '"]);
    const ext = (name: string, detector?: string) =>
      Header.parse(hdu([`XTENSION= 'IMAGE   '`, 'BITPIX  =                    8', 'NAXIS   =                    0', 'PCOUNT  =                    0', 'GCOUNT  =                    1', `EXTNAME = '${name}'`, ...(detector ? [`DETECTOR= '${detector}'`] : [])])).header;
    return { primaryHeader, extensions: [ext('BLUE', 'Fairchild 2k'), ext('RED', redDetector)] };
  };
  const d = locam(
    {
      template: '{PREFIX}-{FILE}',
      prefixRules: [{ when: { keyword: 'DETECTOR', hdu: 'red', contains: 'Hamamatsu' }, prefix: 'LH' }],
      defaultPrefix: 'LX',
    },
    { imageTypeRules: [{ when: { not: { exists: 'DETECTOR', hdu: 2 } }, type: 'focus' }, { type: 'object' }] } as Partial<InstrumentInput>,
  );

  it('reads a keyword of an extension by EXTNAME or index in conditions', () => {
    const hama = file('Hamamatsu 4k');
    const n = normalizeHeader(hama.primaryHeader, d, { ...ctx, extensions: hama.extensions });
    expect([n.archiveId, n.imageType]).toEqual(['LH-d2005', 'object']);
    const none = file(undefined);
    const m = normalizeHeader(none.primaryHeader, d, { ...ctx, extensions: none.extensions });
    expect([m.archiveId, m.imageType]).toEqual(['LX-d2005', 'focus']);
    // Without the extensions (a caller that knows only the primary), the HDU is missing.
    expect(normalizeHeader(hama.primaryHeader, d, ctx).archiveId).toBe('LX-d2005');
  });
});
