import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalPath, recoverJournal, verifyFile, walkFile, writeChecksums } from '../../src/index.js';
import { concat, extension, hdu, primary } from '../helpers/fits.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-cw-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A two-HDU file whose headers have blank room for CHECKSUM and DATASUM. */
function roomyFile(): string {
  const path = join(dir, 'roomy.fits');
  writeFileSync(path, concat(hdu([...primary([30, 20], 16), 'EXTEND  =                    T'], 1200), hdu(extension('IMAGE', [100], -32), 400)));
  return path;
}

/** A primary header filled to exactly one block: adding keywords must grow it. */
function fullFile(): string {
  const lines = [...primary([64], 8)];
  while (lines.length < 35) lines.push(`KEY${lines.length}    = ${lines.length}`.slice(0, 30));
  const path = join(dir, 'full.fits');
  writeFileSync(path, hdu(lines, 64));
  return path;
}

describe('writeChecksums', () => {
  it('rewrites only header blocks when the keywords fit, leaving data bytes untouched', async () => {
    const path = roomyFile();
    const before = readFileSync(path);
    const result = await writeChecksums(path, { now: Date.UTC(2026, 0, 2, 3, 4, 5) });
    expect(result.mode).toBe('in-place');
    const after = readFileSync(path);
    expect(after.length).toBe(before.length);
    const { hdus } = await walkFile(path);
    for (const h of hdus) {
      expect(after.subarray(h.dataOffset, h.dataOffset + h.layout.paddedSize)).toEqual(before.subarray(h.dataOffset, h.dataOffset + h.layout.paddedSize));
      expect(h.header.comment('CHECKSUM')).toBe('HDU checksum updated 2026-01-02T03:04:05');
    }
    expect((await verifyFile(path)).ok).toBe(true);
    expect((await writeChecksums(path, { now: Date.UTC(2026, 0, 2, 3, 4, 5) })).mode).toBe('unchanged');
    expect(existsSync(journalPath(path))).toBe(false);
  });

  it('rewrites the whole file through a temp file when a header must grow, keeping the mode', async () => {
    const path = fullFile();
    spawnSync('chmod', ['640', path]);
    const result = await writeChecksums(path);
    expect(result.mode).toBe('rewrite');
    expect(statSync(path).size).toBe(2 * 2880 + 2880);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect((await verifyFile(path)).ok).toBe(true);
    expect(readdirSync(dir)).toEqual(['full.fits']);
  });

  it('replays a complete journal after a crash between journal and header writes', async () => {
    const path = roomyFile();
    const before = readFileSync(path);
    await expect(
      writeChecksums(path, {
        onStage: (stage) => {
          if (stage === 'journal-written') throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(journalPath(path))).toBe(true);
    expect(await recoverJournal(path)).toBe('replayed');
    expect((await verifyFile(path)).ok).toBe(true);
    expect(existsSync(journalPath(path))).toBe(false);
  });

  it('discards a torn journal, leaving the original file', async () => {
    const path = roomyFile();
    const before = readFileSync(path);
    await writeChecksums(path, { onStage: (s) => { if (s === 'journal-written') throw new Error('crash'); } }).catch(() => {});
    const journal = readFileSync(journalPath(path));
    writeFileSync(journalPath(path), journal.subarray(0, journal.length - 100));
    expect(await recoverJournal(path)).toBe('discarded');
    expect(readFileSync(path)).toEqual(before);
  });

  it('leaves the original or the complete new file when the process is killed at any stage', async () => {
    const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
    const script = join(dir, 'crash.mts');
    const src = join(process.cwd(), 'src/index.ts');
    writeFileSync(
      script,
      `import { writeChecksums } from ${JSON.stringify(src)};
       const [path, at] = process.argv.slice(2);
       await writeChecksums(path, { onStage: (s) => { if (s === at) process.kill(process.pid, 'SIGKILL'); } });`,
    );
    for (const [make, stage] of [
      [roomyFile, 'journal-written'],
      [roomyFile, 'headers-written'],
      [fullFile, 'temp-written'],
    ] as const) {
      const path = make();
      const before = readFileSync(path);
      const run = spawnSync(tsx, [script, path, stage], { encoding: 'utf8' });
      // tsx runs the script in a child node process and reports its SIGKILL as exit status 137.
      expect(run.signal === 'SIGKILL' || run.status === 137, `${run.status} ${run.stderr}`).toBe(true);
      const now = readFileSync(path);
      // Without any recovery the file is whole: old bytes, or new bytes that verify.
      if (!now.equals(before)) expect((await verifyFile(path)).ok).toBe(true);
      await recoverJournal(path);
      await writeChecksums(path);
      expect((await verifyFile(path)).ok, stage).toBe(true);
      expect(readdirSync(dir).filter((f) => f.includes('tmp') || f.includes('journal')).length, stage).toBeLessThanOrEqual(1);
    }
  });

  it('names the file in errors and keeps it intact', async () => {
    const path = join(dir, 'bad.fits');
    writeFileSync(path, hdu(primary([1000], 8), 1000).subarray(0, 3000));
    await expect(writeChecksums(path)).rejects.toThrow(/bad\.fits.*SIZE_OVERRUN/);
    expect(statSync(path).size).toBe(3000);
  });
});
