/**
 * Issue 11 as a small observatory met it: a non-Keck spectrograph (two arms in extensions, ISO DATE-OBS with
 * milliseconds, an alias INSTRUME, the frame number only in the file name) ingested with its own description, then
 * queried without passing the description again.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../src/core/fits/header.js';
import { formatCard } from '../../src/core/fits/card-format.js';
import { reconstructOriginalHeader } from '../../src/core/normalize/index.js';
import { cli } from '../helpers/cli.js';
import { concat, extension, hdu, primary } from '../helpers/fits.js';
import { fitsverify } from '../helpers/oracles.js';

const KAST = resolve('examples/instruments/kast.yaml');
let dir: string;
let catalog: string;
let archive: string;

/** A two-arm Kast frame as the instrument writes it: no FRAMENO, the number is in the file name. */
function kastFrame(name: string, obstype: string, object: string, dateObs: string): string {
  const path = join(dir, 'incoming', name);
  const lines = [
    "INSTRUME= 'Kast Spectrograph'  / instrument name",
    `DATE-OBS= '${dateObs}' / UT start of exposure`,
    `OBJECT  = '${object}'`,
    `OBSTYPE = '${obstype}'`,
    'EXPTIME =                 30.0',
    'EXTEND  =                    T',
  ];
  const arm = (extname: string, detector: string) =>
    hdu(extension('IMAGE', [8, 4], 16, 0, 1, [`EXTNAME = '${extname}'`, `DETECTOR= '${detector}'`]), 64);
  writeFileSync(path, concat(hdu(primary([], 8, lines)), arm('BLUE', 'Fairchild 2k'), arm('RED', 'Hamamatsu 4k')));
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fits-own-observatory-'));
  archive = join(dir, 'archive');
  catalog = `sqlite:${join(archive, 'catalog.sqlite')}`;
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'incoming'));
  kastFrame('d2005.fits', 'STANDARD', 'HD 19445', '2026-11-20T04:12:33.456');
  kastFrame('d2006.fits', 'ARC', 'arc', '2026-11-20T13:30:00.125');
  const r = await cli('ingest', join(dir, 'incoming'), '--archive', archive, '--instruments', KAST, '--json');
  expect(r.code, r.stderr + r.stdout).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an observatory of its own (issue 11)', () => {
  it('names ids by the local night and the frame number of the file name, without a .fits suffix', async () => {
    const r = await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'KAST', '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = r.lines.map((l) => JSON.parse(l) as { archiveId: string; night: string; columns: Record<string, unknown> });
    // 04:12 UT on the 20th is 20:12 on the 19th in California; 13:30 UT is 05:30 on the 20th: both the night of the 19th.
    expect(rows.map((f) => [f.archiveId, f.night])).toEqual([
      ['LO-KAST-20261119-2005', '2026-11-19'],
      ['LO-KAST-20261119-2006', '2026-11-19'],
    ]);
    expect(rows[0]!.columns['loarcid']).toBe('LO-KAST-20261119-2005');
    expect(rows[0]!.columns).toMatchObject({ blue_detector: 'Fairchild 2k', red_detector: 'Hamamatsu 4k' });
    expect(readdirSync(join(archive, 'KAST'))).toEqual(['20261119']);
  });

  it('queries the instrument columns without --instruments, by common field names and by alias', async () => {
    const byObject = await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'KAST', '--where', 'object = HD 19445');
    expect(byObject.code, byObject.stderr).toBe(0);
    expect(byObject.lines).toHaveLength(1);
    expect(byObject.stdout).toContain('LO-KAST-20261119-2005');

    const byType = await cli('catalog', 'query', '--catalog', catalog, '--where', 'imageType = standard');
    expect(byType.code, byType.stderr).toBe(0);
    expect(byType.lines.map((l) => l.split(' ')[0])).toEqual(['LO-KAST-20261119-2005']);

    const byAlias = await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'Kast Spectrograph');
    expect(byAlias.code, byAlias.stderr).toBe(0);
    expect(byAlias.lines).toHaveLength(2);

    const viaOption = await cli('catalog', 'query', '--catalog', catalog, '--instruments', KAST, '--instrument', 'kast', '--where', 'blue_detector like Fair%');
    expect(viaOption.lines).toHaveLength(2);
  });

  it('refuses a filter naming an unknown instrument instead of answering nothing', async () => {
    const r = await cli('catalog', 'query', '--catalog', catalog, '--instrument', 'Nickel Direct');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such instrument or alias.*KAST/);
  });

  it('keeps DATE-OBS and INSTRUME as written, and the original header can be rebuilt from the archived copy', async () => {
    const [file] = (await cli('catalog', 'query', '--catalog', catalog, '--archive-id', 'LO-KAST-20261119-2005', '--json')).lines.map(
      (l) => JSON.parse(l) as { locations: { uri: string }[] },
    );
    const path = file!.locations[0]!.uri.replace(/^file:\/\//, '');
    const archived = Header.parse(readFileSync(path)).header;
    expect(archived.get('DATE-OBS')).toBe('2026-11-20T04:12:33.456');
    expect(archived.get('INSTRUME')).toBe('Kast Spectrograph');
    expect(archived.get('LOARCID')).toBe('LO-KAST-20261119-2005');
    expect(archived.get('UTC')).toBeUndefined();
    const original = Header.parse(readFileSync(join(dir, 'incoming', 'd2005.fits'))).header;
    const images = (h: Header) => h.cards().map((c) => formatCard(c)).filter((i) => i.trim() !== '');
    expect(images(reconstructOriginalHeader(archived))).toEqual(images(original));
    const report = fitsverify(path);
    expect(report.errors + report.warnings, report.output).toBe(0);
  });
});
