import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChecksums } from '../../../src/core/checksum/hdu-checksums.js';
import { formatCard } from '../../../src/core/fits/card-format.js';
import { Header } from '../../../src/core/fits/header.js';
import { normalizeHeader, reconstructOriginalHeader } from '../../../src/core/normalize/index.js';
import { isIngestError } from '../../../src/core/errors.js';
import { builtinInstrument, builtinInstrumentInputs, loadInstrumentFile, type InstrumentDescription } from '../../../src/instruments/index.js';
import { hdu, latin1, primary } from '../../helpers/fits.js';
import { fitsverify } from '../../helpers/oracles.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const ctx = { originalName: 'd2005.fits', mtimeMs: Date.UTC(2026, 10, 20, 4, 12, 33, 456), now: NOW, digest: 'ab'.repeat(32) };
const long = `'${'A very long instrument string that needs the CONTINUE convention to be written&'}'`;

/** Odd headers as instruments write them: every form normalization rewrites, and some it must leave alone. */
const corpus: Record<string, string[]> = {
  isoMillis: ["INSTRUME= 'Kast Spectrograph'  / the instrument", "CAMERA  = 'BLUE    '", "DATE-OBS= '2026-11-20T04:12:33.456' / start of exposure, a rather long comment!", 'FRAMENO =                 1005'],
  dmySlash: ['EXPNUM  =              2345678',"INSTR   = 'imag    '","INSTRUME= 'kast    '", "DATE-OBS= '20/11/26'           / old dd/mm/yy", "UT      = '04:12:33.45'", "OBSTYPE = 'BIAS    '"],
  missingDate: ["INSTRUME= 'KAST'", "INSTR   = 'spec    '", "OFNAME  = 'renamed.fits'", 'EXPTIME =                 0.0'],
  oldSums: ["CAMERA  = 'spec    '", "ATTKIND = 'log     '","DATE-OBS= '2026-11-20'", "UTC     = '04:12:33.45'", "CHECKSUM= 'aAaaaAaaaAaaaAaa'   / stale", "DATASUM = '123     '", "KOAID   = 'XX.20200101.00000.00.fits' / someone else's"],
  aliasOnly: ["INSTRUME= 'Lone Oak CCD'", "DATE-OBS= '2026-11-21T05:00:00.5'", "OBSTYPE = 'DOMEFLAT'", "CAMERA  = 'RED     '", "INSTR   = 'spec    '"],
  unterminated: [`INSTRUME= ${long.slice(0, 70)}`, `CONTINUE  '${long.slice(70, -1)}'`, "DATE-OBS= '2026-11-20'"],
  continued: ["CAMERA  = 'BLUE    '", "LONGSTRN= 'OGIP 1.0'", "INSTRUME= 'A long instrument string that needs the CONTINUE convention to &'", "CONTINUE  'be written' / and its comment", "DATE-OBS= '2026-11-20T23:59:59.999999'", 'HIERARCH ESO DET CHIP ID = \'CCD-44\' / hierarch', "HISTORY   plain history the instrument wrote"],
};

function source(lines: string[]): Header {
  return Header.parse(hdu(primary([], 8, lines))).header;
}

const images = (header: Header): string[] => header.cards().map((c) => formatCard(c)).filter((image) => image.trim() !== '');

const examples = ['examples/instruments/kast.yaml', 'examples/instruments/locam.yaml'];

async function descriptions(): Promise<InstrumentDescription[]> {
  const shipped = (Object.keys(builtinInstrumentInputs) as (keyof typeof builtinInstrumentInputs)[]).map((name) => builtinInstrument(name));
  return [...shipped, ...(await Promise.all(examples.map((file) => loadInstrumentFile(file))))];
}

describe('lossless normalization', () => {
  it('rebuilds the original header exactly from the archived copy, for every shipped description and odd header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'originals-all-'));
    const written: string[] = [];
    let rebuilt = 0;
    for (const description of await descriptions()) {
      let forThis = 0;
      for (const [name, lines] of Object.entries(corpus)) {
        const original = source(lines);
        let archived: Header;
        try {
          const n = normalizeHeader(original, description, ctx);
          archived = Header.parse(applyChecksums(n.header, 0, NOW).toBytes()).header;
        } catch (error) {
          if (isIngestError(error) && error.kind === 'invalid') continue; // a rule refused this header: nothing archived
          throw error;
        }
        expect(images(archived), `${description.name} ${name}`).not.toEqual(images(original));
        expect(images(reconstructOriginalHeader(archived)), `${description.name} ${name}`).toEqual(images(original));
        // The unterminated string is not FITS to begin with; every other archived copy must be clean.
        if (name !== 'unterminated') {
          const file = join(dir, `${description.name}-${name}.fits`);
          writeFileSync(file, archived.toBytes());
          written.push(file);
        }
        forThis++;
      }
      expect(forThis, description.name).toBeGreaterThan(0);
      rebuilt += forThis;
    }
    expect(rebuilt).toBeGreaterThan(40);
    for (const file of written) {
      const report = fitsverify(file);
      expect(report.errors + report.warnings, report.output).toBe(0);
    }
    expect(written.length).toBeGreaterThan(30);
  });

  it('keeps the milliseconds of an ISO DATE-OBS somewhere whole, though the KOA policy rewrites it', () => {
    const n = normalizeHeader(source(corpus.isoMillis!), builtinInstrument('kcwi'), ctx);
    expect(n.header.getString('DATE-OBS')).toBe('2026-11-20');
    const history = n.header.cards().filter((c) => c.keyword === 'HISTORY').map((c) => c.comment).join('\n');
    expect(history).toContain("'2026-11-20T04:12:33.456'");
    expect(reconstructOriginalHeader(n.header).getString('DATE-OBS')).toBe('2026-11-20T04:12:33.456');
  });

  it('writes an archived copy fitsverify finds clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'originals-'));
    const n = normalizeHeader(source(corpus.continued!), builtinInstrument('kcwi'), ctx);
    const header = applyChecksums(n.header, 0, NOW);
    const file = join(dir, 'archived.fits');
    writeFileSync(file, header.toBytes());
    const report = fitsverify(file);
    expect(report.errors, report.output).toBe(0);
    expect(report.warnings, report.output).toBe(0);
    expect(latin1(header.toString()).length % 80).toBe(0);
  });
});
