import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { ASTROPY_DATA } from '../helpers/oracles.js';
import { concat, extension, hdu, primary } from '../helpers/fits.js';

let dir: string;
let good: string;
let plain: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-cli-'));
  good = join(dir, 'good.fits');
  copyFileSync(join(ASTROPY_DATA, 'checksum.fits'), good);
  plain = join(dir, 'plain.fits');
  writeFileSync(plain, concat(hdu([...primary([10, 10], 16), "OBJECT  = 'M13     '           / target", 'BIG     = 123456789012345678901234567890'], 200), hdu(extension('IMAGE', [5], 8), 5)));
  writeFileSync(join(dir, 'notfits.txt'), 'hello, this is not a FITS file at all'.repeat(100));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fits-ingest checksum verify', () => {
  it('exits 0 when every HDU is valid, with the documented JSON lines', async () => {
    const r = await cli('checksum', 'verify', '--json', good);
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ file: good, hdu: 0, datasum: 3949456131, datasumOk: true, checksumOk: true }),
      expect.objectContaining({ file: good, hdu: 1, datasum: 2008423139, datasumOk: true, checksumOk: true }),
    ]);
  });

  it('exits 1 when a checksum is missing or failing', async () => {
    const r = await cli('checksum', 'verify', plain, good);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatch(/plain\.fits {2}HDU 0 {2}primary {2}DATASUM \d+ MISSING {2}CHECKSUM MISSING/);
    const bad = await cli('checksum', 'verify', '--json', join(ASTROPY_DATA, 'checksum_false.fits'));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.lines[0]!)).toMatchObject({ datasumOk: false, checksumOk: false });
  });

  it('exits 2 with a one-line reason for unreadable or non-FITS files, and still checks the others', async () => {
    const r = await cli('checksum', 'verify', join(dir, 'notfits.txt'), join(dir, 'missing.fits'), good);
    expect(r.code).toBe(2);
    const errors = r.stderr.trim().split('\n');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/notfits\.txt.*NOT_FITS/);
    expect(errors[1]).toMatch(/missing\.fits.*FILE_NOT_FOUND/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.lines).toHaveLength(2);
  });
});

describe('fits-ingest checksum write', () => {
  it('adds sums in place so that verify then passes', async () => {
    const copy = join(dir, 'write.fits');
    copyFileSync(plain, copy);
    const w = await cli('checksum', 'write', copy);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/in-place +HDU 0 DATASUM \d+ CHECKSUM [0-9A-Za-z]{16}; HDU 1/);
    expect((await cli('checksum', 'verify', copy)).code).toBe(0);
  });
});

describe('fits-ingest header and hdus', () => {
  it('prints card images, or ordered JSON with every digit of big integers', async () => {
    const text = await cli('header', plain);
    expect(text.code).toBe(0);
    expect(text.lines[0]).toBe('SIMPLE  =                    T');
    expect(text.lines.at(-1)).toBe('END');
    const json = await cli('header', plain, '--json');
    expect(json.stdout).toContain('"keyword":"BIG","value":123456789012345678901234567890');
    const cards = JSON.parse(json.stdout.replace('123456789012345678901234567890', '0')) as { keyword: string }[];
    expect(cards.map((c) => c.keyword).slice(0, 5)).toEqual(['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2']);
    expect(JSON.parse((await cli('header', plain, '--hdu', '1', '--json')).stdout)[0]).toEqual({ keyword: 'XTENSION', value: 'IMAGE', comment: '' });
  });

  it('refuses a missing HDU and a bad --hdu with exit 2', async () => {
    expect((await cli('header', plain, '--hdu', '7')).stderr).toMatch(/no HDU 7.*NO_SUCH_HDU/);
    expect((await cli('header', plain, '--hdu', 'x')).code).toBe(2);
  });

  it('lists HDUs with offsets and sizes', async () => {
    const r = await cli('hdus', '--json', plain);
    expect(r.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ hdu: 0, type: 'primary', headerOffset: 0, dataOffset: 2880, dataSize: 200 }),
      expect.objectContaining({ hdu: 1, type: 'image', headerOffset: 5760, dataOffset: 8640, dataSize: 5 }),
    ]);
  });
});

describe('the built binary', () => {
  it('runs as a program with --help and the exit-code contract', () => {
    const bin = join(process.cwd(), 'dist/cli/main.js');
    if (!existsSync(bin)) throw new Error('dist/ is missing: `npm test` builds it first (npm run build)');
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/checksum/);
    for (const command of ['checksum verify', 'checksum write', 'header', 'hdus']) {
      const sub = spawnSync(bin, [...command.split(' '), '--help'], { encoding: 'utf8' });
      expect(sub.status, command).toBe(0);
      expect(sub.stdout, command).toMatch(/Usage: fits-ingest/);
    }
    expect(spawnSync(bin, ['checksum', 'verify', good]).status).toBe(0);
    expect(spawnSync(bin, ['checksum', 'verify', plain]).status).toBe(1);
    const broken = spawnSync(bin, ['checksum', 'verify', join(dir, 'notfits.txt')], { encoding: 'utf8' });
    expect(broken.status).toBe(2);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(spawnSync(bin, ['no-such-command']).status).toBe(2);
  });

  it('ends quietly when its reader goes away (`… | head -1`)', () => {
    const bin = join(process.cwd(), 'dist/cli/main.js');
    // Long output into a reader that takes one line and closes the pipe: EPIPE on the next write.
    const files = Array.from({ length: 400 }, () => good);
    const r = spawnSync('bash', ['-c', 'node "$0" checksum verify "$@" | head -1; echo "exit ${PIPESTATUS[0]}" >&2', bin, ...files], { encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\(node:/);
    expect(r.stderr.trim()).toBe('exit 0');
  });
});
