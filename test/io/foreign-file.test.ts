import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isIngestError, type IngestErrorCode } from '../../src/core/errors.js';
import { unwrapForeign } from '../../src/core/fits/foreign-attachment.js';
import { unwrapForeignFile, wrapForeignFile } from '../../src/io/foreign-file.js';
import { verifyFile } from '../../src/io/checksum-file.js';
import { fitsverify } from '../helpers/oracles.js';
import { concat, extension, hdu, primary } from '../helpers/fits.js';
import { seededBytes } from '../core/checksum/_reference.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'foreign-file-'));
});

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function codeOf(promise: Promise<unknown>): Promise<IngestErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isIngestError(error)) return error.code;
    throw error;
  }
  throw new Error('expected an IngestError');
}

function sub(name: string): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  return path;
}

describe('wrapForeignFile / unwrapForeignFile', () => {
  it('round-trips files of every size class, restoring name, bytes, mode and mtime; fitsverify accepts every wrapper', async () => {
    const sizes = [0, 1, 2879, 2880, 2881, 2 * 2880, 3 * 1024 * 1024 + 5];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sizes), fc.integer({ min: 1 }), fc.constantFrom(0o644, 0o600, 0o755, 0o640), async (size, seed, mode) => {
        const k = n++;
        const src = sub(`src${k}`);
        const name = `log ${k}.bin`;
        const bytes = seededBytes(size, seed);
        const path = join(src, name);
        writeFileSync(path, bytes);
        chmodSync(path, mode);
        const mtime = new Date(Date.UTC(2026, 10, 20, 6, 0, k, 250));
        utimesSync(path, mtime, mtime);
        const wrapped = await wrapForeignFile(path, sub(`fits${k}`), { kind: 'log', night: '2026-11-20', program: 'K9' });
        expect(wrapped.path).toBe(join(dir, `fits${k}`, `${name}.fits`));
        expect(wrapped.sha256).toBe(sha(bytes));
        expect(statSync(wrapped.path).size).toBe(wrapped.fitsSize);
        expect((await verifyFile(wrapped.path)).ok).toBe(true);
        const verdict = fitsverify(wrapped.path);
        expect([verdict.errors, verdict.warnings], verdict.output).toEqual([0, 0]);
        const out = sub(`out${k}`);
        const back = await unwrapForeignFile(wrapped.path, out);
        expect(back.path).toBe(join(out, name));
        expect(sha(readFileSync(back.path))).toBe(sha(bytes));
        const st = statSync(back.path);
        expect(st.mode & 0o777).toBe(mode);
        expect(st.mtimeMs).toBe(mtime.getTime());
        expect(back.attachment).toEqual({ kind: 'log', dateObs: '2026-11-20T00:00:00', program: 'K9' });
        expect(readdirSync(out)).toEqual([name]);
      }),
      { numRuns: 12 },
    );
  });

  it('the wrapper holds the same bytes the in-memory codec reads, and DATE-OBS defaults to the file mtime', async () => {
    const path = join(sub('mtime'), 'notes.txt');
    writeFileSync(path, 'seeing 0.6", clouds after 14h UT\n');
    const when = new Date(Date.UTC(2026, 10, 20, 14, 30, 5, 120));
    utimesSync(path, when, when);
    const wrapped = await wrapForeignFile(path, join(dir, 'mtime', 'notes.fits'), { kind: 'notes', type: 'text' });
    const back = unwrapForeign(readFileSync(wrapped.path));
    expect(new TextDecoder().decode(back.data)).toBe('seeing 0.6", clouds after 14h UT\n');
    expect(back.attachment).toEqual({ kind: 'notes', dateObs: '2026-11-20T14:30:05.120' });
    expect(back.file.type).toBe('text');
    expect(back.file.owner).toMatch(/\S/);
  });

  it('streams a large file in bounded memory', async () => {
    const path = join(sub('big'), 'big.dat');
    writeFileSync(path, '');
    truncateSync(path, 300 * 1024 * 1024); // sparse: fast to make, 300 MB to read
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const wrapped = await wrapForeignFile(path, sub('big-out'));
    const back = await unwrapForeignFile(wrapped.path, sub('big-back'));
    clearInterval(timer);
    expect(back.file.size).toBe(300 * 1024 * 1024);
    expect(statSync(back.path).size).toBe(300 * 1024 * 1024);
    expect(peak - before).toBeLessThan(120 * 1024 * 1024);
  });

  it('refuses bad inputs with typed errors and leaves nothing behind', async () => {
    const bad = sub('bad');
    const put = (name: string, bytes: Uint8Array): string => {
      const path = join(bad, name);
      writeFileSync(path, bytes);
      return path;
    };
    const out = sub('bad-out');
    expect(await codeOf(wrapForeignFile(join(bad, 'missing.txt'), out))).toBe('FILE_NOT_FOUND');
    expect(await codeOf(wrapForeignFile(put('a.txt', seededBytes(10)), out, { name: '../a.txt' }))).toBe('UNSAFE_DESTINATION');
    expect(await codeOf(wrapForeignFile(put('b.txt', seededBytes(10)), out, { night: '20/11/2026' }))).toBe('INVALID_OPTIONS');
    const first = await wrapForeignFile(put('c.txt', seededBytes(10)), out);
    expect(await codeOf(wrapForeignFile(put('c.txt', seededBytes(11)), out))).toBe('DESTINATION_EXISTS');
    expect(readFileSync(first.path).length).toBe(first.fitsSize);
    await wrapForeignFile(join(bad, 'c.txt'), out, { overwrite: true });

    const restore = sub('bad-restore');
    await unwrapForeignFile(first.path, restore);
    expect(await codeOf(unwrapForeignFile(first.path, restore))).toBe('DESTINATION_EXISTS');
    const wrapped = readFileSync(first.path);
    expect(await codeOf(unwrapForeignFile(put('trunc.fits', wrapped.subarray(0, wrapped.length - 2880)), restore))).toBe('SIZE_OVERRUN');
    const damaged = wrapped.slice();
    damaged[2 * 2880 + 3]! ^= 0x40;
    expect(await codeOf(unwrapForeignFile(put('damaged.fits', damaged), sub('d')))).toBe('CHECKSUM_MISMATCH');
    expect(await codeOf(unwrapForeignFile(put('image.fits', hdu(primary([8]), 8)), restore))).toBe('NOT_FOREIGN');
    expect(await codeOf(unwrapForeignFile(put('log.txt', new TextEncoder().encode('plain text\n'.repeat(400))), restore))).toBe('NOT_FITS');
    const lying = concat(hdu(primary()), hdu([...extension('FOREIGN', [10]), "FG_FNAME= 'x.txt'", 'FG_FSIZE=                    9'], 10));
    expect(await codeOf(unwrapForeignFile(put('lying.fits', lying), restore))).toBe('FOREIGN_SIZE_MISMATCH');
    const evil = concat(hdu(primary()), hdu([...extension('FOREIGN', [4]), "FG_FNAME= '../../etc/x'"], 4));
    const error = await unwrapForeignFile(put('evil.fits', evil), restore).catch((e: unknown) => e);
    expect(isIngestError(error, 'UNSAFE_DESTINATION')).toBe(true);
    expect((error as Error).message).toContain('evil.fits');
    expect(readdirSync(restore)).toEqual(['c.txt']);
    expect(readdirSync(out).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
