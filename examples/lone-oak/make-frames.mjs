#!/usr/bin/env node
// Writes a night of test frames of the Lone Oak Observatory's two instruments (examples/instruments/kast.yaml and
// locam.yaml) into the directory named on the command line, as the instruments would write them: Kast with its
// two arms in BLUE and RED image extensions, the full ISO DATE-OBS with milliseconds and INSTRUME 'Kast
// Spectrograph'; LOCAM with its frame number only in the file name. Plain Node, no dependencies.
//
//   node examples/lone-oak/make-frames.mjs incoming
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node make-frames.mjs DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const str = (key, value, comment = '') => `${key.padEnd(8)}= ${`'${value.padEnd(8)}'`.padEnd(20)}${comment ? ` / ${comment}` : ''}`;
const num = (key, value, comment = '') => `${key.padEnd(8)}= ${String(value).padStart(20)}${comment ? ` / ${comment}` : ''}`;
const logical = (key, value) => `${key.padEnd(8)}= ${(value ? 'T' : 'F').padStart(20)}`;

/** One HDU: header cards, END, blank padding to 2880, then `dataBytes` of a pattern padded with zeros. */
function hdu(cards, dataBytes = 0) {
  let text = [...cards, 'END'].map((c) => c.padEnd(80).slice(0, 80)).join('');
  text = text.padEnd(Math.ceil(text.length / 2880) * 2880, ' ');
  const data = Buffer.alloc(Math.ceil(dataBytes / 2880) * 2880);
  for (let i = 0; i < dataBytes; i++) data[i] = (i * 37 + 11) & 0xff;
  return Buffer.concat([Buffer.from(text, 'latin1'), data]);
}

const primaryCards = (extend) => [logical('SIMPLE', true), num('BITPIX', 8), num('NAXIS', 0), ...(extend ? [logical('EXTEND', true)] : [])];
const image = (nx, ny) => [num('BITPIX', 16), num('NAXIS', 2), num('NAXIS1', nx), num('NAXIS2', ny)];

function kast(name, { dateObs, object, obstype, exptime }) {
  const primary = hdu([
    ...primaryCards(true),
    str('INSTRUME', 'Kast Spectrograph', 'instrument name'),
    str('DATE-OBS', dateObs, 'UT start of exposure'),
    str('OBJECT', object),
    str('OBSTYPE', obstype),
    num('EXPTIME', exptime.toFixed(1), 'seconds'),
    str('PROGID', 'LO26B07', 'program'),
  ]);
  const arm = (extname, detector) =>
    hdu([`XTENSION= 'IMAGE   '`, ...image(16, 8), num('PCOUNT', 0), num('GCOUNT', 1), str('EXTNAME', extname), str('DETECTOR', detector)], 16 * 8 * 2);
  writeFileSync(join(out, name), Buffer.concat([primary, arm('BLUE', 'Fairchild 2k'), arm('RED', 'Hamamatsu 4k')]));
}

function locam(name, { dateObs, object, obstype, filter, exptime }) {
  const cards = [logical('SIMPLE', true), ...image(32, 32)];
  const header = [...cards, str('INSTRUME', 'Lone Oak CCD'), str('DATE-OBS', dateObs), str('OBJECT', object), str('OBSTYPE', obstype)];
  header.push(str('FILTER', filter), num('EXPTIME', exptime.toFixed(1)), str('PROGID', 'LO26B07'));
  writeFileSync(join(out, name), hdu(header, 32 * 32 * 2));
}

// The night of 2026-11-19 in California (UT −8): evening frames on the 20th UT, morning ones before 20:00 UT.
kast('d2005.fits', { dateObs: '2026-11-20T04:12:33.456', object: 'HD 19445', obstype: 'STANDARD', exptime: 30 });
kast('d2006.fits', { dateObs: '2026-11-20T04:20:01.125', object: 'arc', obstype: 'ARC', exptime: 2 });
locam('d0101.fits', { dateObs: '2026-11-20T03:05:10.5', object: 'dome', obstype: 'DOMEFLAT', filter: 'R', exptime: 5 });
locam('d0102.fits', { dateObs: '2026-11-20T06:40:00', object: 'NGC 1068', obstype: 'OBJECT', filter: 'R', exptime: 300 });
locam('d0103.fits', { dateObs: '2026-11-20T13:55:00', object: 'NGC 1068', obstype: 'OBJECT', filter: 'V', exptime: 300 });
// Files older than a second, so the stability check does not wait for them.
const past = new Date(Date.now() - 60_000);
for (const name of ['d2005.fits', 'd2006.fits', 'd0101.fits', 'd0102.fits', 'd0103.fits']) utimesSync(join(out, name), past, past);
console.log(`wrote 5 frames to ${out}`);
