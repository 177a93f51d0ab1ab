/**
 * fits-ingest against independent judges: astropy computes DATASUMs and HDU offsets of files astropy wrote
 * itself, fitsverify (CFITSIO) and astropy verify the checksums fits-ingest writes, and both agree with
 * fits-ingest on corrupted files.
 */
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFile, walkFile, writeChecksums } from '../../src/index.js';
import { ASTROPY_DATA, astropyInfo, fitsverify, makeAstropyFixtures, type AstropyHdu } from '../helpers/oracles.js';

let dir: string;
let files: string[];
beforeAll(() => {
  ({ dir, files } = makeAstropyFixtures());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files written by astropy', () => {
  it('covers every HDU kind the issue names', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'image_bitpix8.fits',
        'image_bitpix16.fits',
        'image_bitpix32.fits',
        'image_bitpix64.fits',
        'image_bitpixm32.fits',
        'image_bitpixm64.fits',
        'empty_primary.fits',
        'bintable_heap.fits',
        'ascii_table.fits',
        'random_groups.fits',
        'continue_hierarch.fits',
        'mef_checksummed.fits',
        'compressed.fits',
      ]),
    );
  });

  it('give the same HDU offsets and DATASUMs as astropy', async () => {
    const paths = files.map((f) => join(dir, f));
    const judge = astropyInfo(paths);
    for (const path of paths) {
      const expected = judge[path] as AstropyHdu[];
      const structure = await walkFile(path);
      expect(structure.hdus.map((h) => [h.headerOffset, h.dataOffset, h.layout.paddedSize]), path).toEqual(
        expected.map((h) => [h.hdrLoc, h.datLoc, h.datSpan]),
      );
      const verdict = await verifyFile(path);
      expect(verdict.hdus.map((h) => h.datasum), path).toEqual(expected.map((h) => h.datasum));
    }
  });

  it('verify where astropy wrote checksums, and report missing ones', async () => {
    const mef = await verifyFile(join(dir, 'mef_checksummed.fits'));
    expect(mef.ok).toBe(true);
    expect(mef.hdus).toHaveLength(5);
    const compressed = await verifyFile(join(dir, 'compressed.fits'));
    expect(compressed.ok).toBe(true);
    expect(compressed.hdus[1]).toMatchObject({ type: 'bintable', zdatasum: expect.stringMatching(/^\d+$/), zhecksum: expect.stringMatching(/^[0-9A-Za-z]{16}$/) });
    const plain = await verifyFile(join(dir, 'image_bitpix16.fits'));
    expect(plain.ok).toBe(false);
    expect(plain.hdus[0]).toMatchObject({ datasumStatus: 'missing', checksumStatus: 'missing' });
  });

  it('pass fitsverify and astropy after fits-ingest writes their checksums', async () => {
    const copies = files.map((f) => {
      const copy = join(dir, `written-${f}`);
      copyFileSync(join(dir, f), copy);
      return copy;
    });
    for (const copy of copies) {
      const result = await writeChecksums(copy, { now: Date.UTC(2026, 10, 20) });
      expect(['in-place', 'rewrite', 'unchanged']).toContain(result.mode);
      expect((await verifyFile(copy)).ok, copy).toBe(true);
      const fv = fitsverify(copy);
      expect(fv.errors, fv.output).toBe(0);
      expect(fv.checksumProblems, fv.output).toEqual([]);
    }
    const judge = astropyInfo(copies);
    for (const copy of copies) {
      const hdus = judge[copy] as AstropyHdu[];
      expect(hdus.every((h) => h.checksumStatus === 1 && h.datasumStatus === 1), `${copy}: ${JSON.stringify(hdus)}`).toBe(true);
    }
  });
});

describe("astropy's own test files", () => {
  it('match the checksum test vectors of checksum.fits', async () => {
    const result = await verifyFile(join(ASTROPY_DATA, 'checksum.fits'));
    expect(result.ok).toBe(true);
    expect(result.hdus.map((h) => [h.datasum, h.storedChecksum])).toEqual([
      [3949456131, 'MPAGOM8DMMADMM5D'],
      [2008423139, '9nhRHkZO9kfOGkZO'],
    ]);
  });

  it('detect the corrupted values of checksum_false.fits', async () => {
    const result = await verifyFile(join(ASTROPY_DATA, 'checksum_false.fits'));
    expect(result.hdus.map((h) => [h.datasumStatus, h.checksumStatus])).toEqual([
      ['bad', 'bad'],
      ['bad', 'bad'],
    ]);
  });

  it('accept the blank DATASUM of memtest.fits HDU 0 as CFITSIO does (astropy cannot read it)', async () => {
    const result = await verifyFile(join(ASTROPY_DATA, 'memtest.fits'));
    expect(result.hdus[0]).toMatchObject({ storedDatasum: '', checksumStatus: 'ok' });
  });

  it('walk every file astropy can read to the same offsets', async () => {
    const paths = readdirSync(ASTROPY_DATA)
      .filter((f) => f.endsWith('.fits'))
      .map((f) => join(ASTROPY_DATA, f));
    const judge = astropyInfo(paths);
    let compared = 0;
    for (const path of paths) {
      const expected = judge[path]!;
      if ('error' in expected) continue;
      let ours;
      try {
        ours = await walkFile(path, { allowTrailing: true });
      } catch (error) {
        throw new Error(`${path}: fits-ingest failed where astropy succeeded: ${String(error)}`);
      }
      expect(ours.hdus.map((h) => [h.headerOffset, h.dataOffset]), path).toEqual(expected.map((h) => [h.hdrLoc, h.datLoc]));
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});

describe('single-byte corruption', () => {
  it('is detected anywhere in header, data and fill, by fits-ingest and fitsverify alike', async () => {
    const original = join(dir, 'corrupt-base.fits');
    copyFileSync(join(dir, 'mef_checksummed.fits'), original);
    await writeChecksums(original, { now: Date.UTC(2026, 10, 20) });
    const bytes = readFileSync(original);
    const structure = await walkFile(original);
    const targets: { where: string; offset: number }[] = [];
    for (const h of structure.hdus) {
      const headerText = bytes.subarray(h.headerOffset, h.dataOffset).toString('latin1');
      targets.push({ where: `HDU ${h.index} comment`, offset: h.headerOffset + headerText.indexOf('/ ') + 3 });
      targets.push({ where: `HDU ${h.index} header fill`, offset: h.dataOffset - 1 });
      if (h.layout.dataSize > 0) {
        targets.push({ where: `HDU ${h.index} data start`, offset: h.dataOffset });
        targets.push({ where: `HDU ${h.index} data middle`, offset: h.dataOffset + Math.floor(h.layout.dataSize / 2) + 1 });
        targets.push({ where: `HDU ${h.index} data fill`, offset: h.dataOffset + h.layout.paddedSize - 1 });
      }
    }
    expect(targets.length).toBeGreaterThan(15);
    const copy = join(dir, 'corrupt.fits');
    for (const { where, offset } of targets) {
      const damaged = Buffer.from(bytes);
      damaged[offset] = damaged[offset]! ^ 0x01;
      writeFileSync(copy, damaged);
      const index = structure.hdus.findLastIndex((h) => h.headerOffset <= offset);
      const ours = await verifyFile(copy, { allowTrailing: true });
      expect(ours.ok, where).toBe(false);
      expect(ours.hdus[index]!.checksumStatus, where).toBe('bad');
      if (offset >= structure.hdus[index]!.dataOffset) expect(ours.hdus[index]!.datasumStatus, where).toBe('bad');
      const fv = fitsverify(copy);
      expect(fv.checksumProblems.length + fv.errors, `${where}\n${fv.output}`).toBeGreaterThan(0);
    }
  });
});
