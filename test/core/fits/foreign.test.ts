import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngestError, type IngestErrorCode } from '../../../src/core/errors.js';
import { wrapForeign, unwrapForeign, attachmentHeader } from '../../../src/core/fits/foreign-attachment.js';
import { checkForeignName, formatFileMode, parseFileMode } from '../../../src/core/fits/foreign.js';
import { Header } from '../../../src/core/fits/header.js';
import { astropyInfo, fitsverify, PYTHON } from '../../helpers/oracles.js';
import { concat, extension, hdu, primary } from '../../helpers/fits.js';
import { seededBytes } from '../checksum/_reference.js';

const NOW = Date.UTC(2026, 10, 21, 16, 0, 0);
const META = { kind: 'weather' as const, dateObs: '2026-11-20T15:30:00.250', program: 'K123' };
const FILE = { name: 'weather.dat', mode: 0o640, mtimeMs: Date.UTC(2026, 10, 20, 15, 31, 2, 123), owner: 'obs', group: 'staff' };

const random = (size: number, seed = size): Uint8Array => seededBytes(size, seed);

function code(f: () => unknown): IngestErrorCode {
  try {
    f();
  } catch (e) {
    if (e instanceof IngestError) return e.code;
    throw e;
  }
  throw new Error('expected an IngestError');
}

describe('FOREIGN codec', () => {
  it('round-trips any bytes, every size class, with the attributes of the file', () => {
    const sizes = fc.oneof(fc.constantFrom(0, 1, 2879, 2880, 2881, 5760, 3 * 2880 + 1), fc.integer({ min: 0, max: 20_000 }));
    fc.assert(
      fc.property(sizes, fc.integer(), (size, seed) => {
        const data = random(size, seed);
        const fits = wrapForeign(data, FILE, META, NOW);
        expect(fits.length % 2880).toBe(0);
        expect(fits.length).toBe(2 * 2880 + Math.ceil(size / 2880) * 2880);
        const back = unwrapForeign(fits);
        expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
        expect(back.file).toEqual({ ...FILE, size, type: 'binary' });
        expect(back.attachment).toEqual({ kind: 'weather', dateObs: META.dateObs, program: 'K123' });
      }),
      { numRuns: 60 },
    );
  });

  it('round-trips a few MB', () => {
    const data = random(3 * 1024 * 1024 + 17);
    const back = unwrapForeign(wrapForeign(data, { name: 'big.pdf' }, { dateObs: '2026-11-20' }, NOW));
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
    expect(back.attachment?.kind).toBe('other');
  });

  it('writes the keywords of the convention and passes fitsverify and astropy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foreign-codec-'));
    const files = [0, 1, 2879, 2880, 2881, 100_000].map((size) => {
      const path = join(dir, `w${size}.fits`);
      writeFileSync(path, wrapForeign(random(size), { ...FILE, name: `notes ${size}.txt`, type: 'text' }, META, NOW));
      return path;
    });
    for (const path of files) {
      const verdict = fitsverify(path);
      expect(verdict.errors, verdict.output).toBe(0);
      expect(verdict.warnings, verdict.output).toBe(0);
    }
    const info = astropyInfo(files);
    for (const path of files) {
      const hdus = info[path];
      expect(Array.isArray(hdus), JSON.stringify(hdus)).toBe(true);
      for (const h of hdus as { checksumStatus: number; datasumStatus: number }[]) {
        expect(h.checksumStatus).toBe(1);
        expect(h.datasumStatus).toBe(1);
      }
    }
    const script = `
import sys, json
from astropy.io import fits
with fits.open(sys.argv[1]) as f:
    h = f[1].header
    print(json.dumps({"xt": h["XTENSION"], "cls": type(f[1]).__name__, "name": h["FG_FNAME"], "size": h["FG_FSIZE"],
      "mode": h["FG_FMODE"], "mtime": h["FG_MTIME"], "owner": h["FG_FUOWN"], "kind": f[0].header["ATTKIND"],
      "inst": f[0].header["INSTRUME"], "span": f.fileinfo(1)["datSpan"]}))`;
    const seen = JSON.parse(execFileSync(PYTHON, ['-c', script, files[4]!], { encoding: 'utf8' }));
    expect(seen).toEqual({
      xt: 'FOREIGN', cls: 'NonstandardExtHDU', name: 'notes 2881.txt', size: 2881, mode: '-rw-r-----',
      mtime: '2026-11-20T15:31:02.123', owner: 'obs', kind: 'weather', inst: 'ATTACHMENT', span: 5760,
    });
  });

  it('reads the convention\'s own form (NAXIS = 0, PCOUNT = size) as written by IRAF fgwrite', () => {
    const size = 3000;
    const lines = [
      ...extension('FOREIGN', [], 8, size, 1),
      "EXTNAME = 'kp-B-pgr_120.png'",
      "FG_FNAME= 'kp-B-pgr_120.png'",
      `FG_FSIZE= ${String(size).padStart(20)}`,
      "FG_FMODE= '-rw-r--r--'",
      "FG_MTIME= '2006-06-15T02:32:49'",
    ];
    const bytes = concat(hdu(primary([], 8, ['EXTEND  =                    T'])), hdu(lines, size));
    const back = unwrapForeign(bytes);
    expect(back.file).toMatchObject({ name: 'kp-B-pgr_120.png', size, mode: 0o644, mtimeMs: Date.UTC(2006, 5, 15, 2, 32, 49) });
    expect(back.data.length).toBe(size);
    expect(back.data[1]).toBe((31 + 7) & 0xff);
    expect(back.attachment).toBeUndefined();
  });

  it('refuses damaged or unsafe wrappers with typed errors', () => {
    const good = wrapForeign(random(5000), FILE, META, NOW);
    const flipped = good.slice();
    flipped[2 * 2880 + 100]! ^= 1;
    expect(code(() => unwrapForeign(flipped))).toBe('CHECKSUM_MISMATCH');
    expect(code(() => unwrapForeign(good.subarray(0, good.length - 2880)))).toBe('SIZE_OVERRUN');
    expect(code(() => unwrapForeign(new TextEncoder().encode('just a log line\n'.repeat(300))))).toBe('NOT_FITS');
    expect(code(() => unwrapForeign(hdu(primary([4], 8), 4)))).toBe('NOT_FOREIGN');
    const image = concat(hdu(primary([], 8, ['EXTEND  =                    T'])), hdu(extension('IMAGE', [10]), 10));
    expect(code(() => unwrapForeign(image))).toBe('NOT_FOREIGN');
    const mismatch = concat(hdu(primary()), hdu([...extension('FOREIGN', [10]), "FG_FNAME= 'a.txt'", 'FG_FSIZE=                   11'], 10));
    expect(code(() => unwrapForeign(mismatch))).toBe('FOREIGN_SIZE_MISMATCH');
    for (const name of ['../x', '/etc/passwd', '..', 'a/b', 'a\\b', '', '-rf']) {
      const evil = concat(hdu(primary()), hdu([...extension('FOREIGN', [3]), `FG_FNAME= '${name.padEnd(8)}'`], 3));
      const e = (() => {
        try {
          unwrapForeign(evil);
        } catch (error) {
          return error as IngestError;
        }
        return undefined;
      })();
      expect(e?.code, name).toBe('UNSAFE_DESTINATION');
      expect(e?.message).toContain('FG_FNAME');
    }
  });

  it('checks names, modes and metadata when wrapping', () => {
    expect(code(() => checkForeignName('météo.txt'))).toBe('UNSAFE_DESTINATION');
    expect(checkForeignName('weather 2026-11-20.csv')).toBe('weather 2026-11-20.csv');
    expect(code(() => wrapForeign(new Uint8Array(1), { name: 'x' }, { dateObs: '20/11/26' }, NOW))).toBe('INVALID_OPTIONS');
    expect(code(() => wrapForeign(new Uint8Array(1), { name: 'x' }, { dateObs: '2026-11-20', kind: 'pdf' as never }, NOW))).toBe('INVALID_OPTIONS');
    for (const mode of [0o644, 0o600, 0o755, 0o4755, 0o2750, 0o1777, 0o000, 0o7777]) expect(parseFileMode(formatFileMode(mode))).toBe(mode);
    expect(formatFileMode(0o644)).toBe('-rw-r--r--');
    expect(formatFileMode(0o4644)).toBe('-rwSr--r--');
    expect(parseFileMode('0640')).toBe(0o640);
    expect(parseFileMode('rubbish')).toBeUndefined();
  });

  it('puts the archive keywords in a primary header with sums', () => {
    const header: Header = attachmentHeader({ name: 'log.txt', size: 12 }, { kind: 'log', dateObs: '2026-11-20T06:00:00' }, NOW);
    expect(header.get('INSTRUME')).toBe('ATTACHMENT');
    expect(header.get('ATTKIND')).toBe('log');
    expect(header.get('FILENAME')).toBe('log.txt');
    expect(header.get('FILESIZE')).toBe(12);
    expect(header.get('DATASUM')).toBe('0');
    expect(header.has('PROGID')).toBe(false);
  });
});
