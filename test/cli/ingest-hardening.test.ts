/** `fits-ingest ingest` hardening (issue 10): completeness, special files, streaming output, night checks. */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';
import { astropyInfo } from '../helpers/oracles.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
let dir: string;
const T = Date.UTC(2026, 10, 20, 6, 0, 0);

function frame(folder: string, n: number, extra: Record<string, unknown> = {}): { path: string; bytes: Uint8Array } {
  const options = { time: new Date(T + n * 61_000 + n * 10), frameNumber: n, axes: [64, 64] as [number, number], ...extra };
  const bytes = makeFrame(options);
  return { path: join(folder, frameName(options)), bytes };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: npm test builds it first');
  dir = mkdtempSync(join(tmpdir(), 'fits-cli-harden-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fits-ingest ingest: completeness, special files, streaming', () => {
  it('waits for a file that is still growing and archives it whole (all 12 extensions), streaming lines as files end', async () => {
    const incoming = join(dir, 'growing');
    mkdirSync(incoming);
    for (let n = 1; n <= 3; n++) {
      const f = frame(incoming, n);
      writeFileSync(f.path, f.bytes);
    }
    // A 12-extension frame written one extension at a time, 300 ms apart: whole HDUs at every pause. The quiet
    // wait is 4 s, so a writer stalled by a loaded machine for a second is not taken for a finished one.
    const whole = frame(incoming, 20, { extensions: 12 }).bytes;
    const eleven = frame(incoming, 20, { extensions: 11 }).bytes;
    const ext = whole.length - eleven.length;
    const primary = whole.length - 12 * ext;
    const growing = frame(incoming, 20, { extensions: 12 }).path;
    writeFileSync(growing, whole.subarray(0, primary + 3 * ext));
    let written = 3;
    const timer = setInterval(() => {
      if (written >= 12) return clearInterval(timer);
      appendFileSync(growing, whole.subarray(primary + written * ext, primary + (written + 1) * ext));
      written++;
    }, 300);

    const child = spawn(process.execPath, [BIN, 'ingest', incoming, '--archive', join(dir, 'a-growing'), '--json', '--quiet', '4000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let firstLineWhileRunning: boolean | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      if (firstLineWhileRunning === undefined && (out + chunk.toString()).includes('\n')) firstLineWhileRunning = child.exitCode === null && !(out + chunk.toString()).split('\n')[0]!.includes(growing);
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(timer);
    expect(code, err).toBe(0);
    // The finished files were reported while the process still waited for the growing one.
    expect(firstLineWhileRunning).toBe(true);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { file: string; state: string; location?: string });
    expect(lines).toHaveLength(4);
    const big = lines.find((l) => l.file === growing)!;
    expect(big.state).toBe('ARCHIVED');
    expect(lines.indexOf(big)).toBe(3); // it ended last
    const hdus = astropyInfo([big.location!])[big.location!];
    expect(Array.isArray(hdus) ? hdus.length : hdus).toBe(13);
  });

  it('reports symbolic links and FIFOs in a scanned folder, one line each (and in --json), and exits 1', async () => {
    const incoming = join(dir, 'special');
    mkdirSync(incoming);
    const f = frame(incoming, 5);
    writeFileSync(f.path, f.bytes);
    const target = frame(dir, 6);
    writeFileSync(target.path, target.bytes);
    symlinkSync(target.path, join(incoming, 'link.fits'));
    expect(spawnSync('mkfifo', [join(incoming, 'pipe.fits')]).status).toBe(0);

    const text = await cli('ingest', incoming, '--archive', join(dir, 'a-special'));
    expect(text.code).toBe(1);
    expect(text.lines.filter((l) => l.startsWith('SKIPPED'))).toEqual([
      expect.stringMatching(/^SKIPPED +.*link\.fits {2}symbolic link/),
      expect.stringMatching(/^SKIPPED +.*pipe\.fits {2}named pipe \(FIFO\)/),
    ]);
    expect(text.lines.filter((l) => l.startsWith('ARCHIVED'))).toHaveLength(1);

    const json = await cli('ingest', incoming, '--archive', join(dir, 'a-special2'), '--json');
    const records = json.lines.map((l) => JSON.parse(l) as { file: string; state: string; reason?: string });
    expect(records.filter((r) => r.state === 'SKIPPED').map((r) => r.reason)).toEqual(['symlink', 'fifo']);
    expect(json.code).toBe(1);
  });

  it('--assume-complete keeps the old immediate read (documented)', async () => {
    const incoming = join(dir, 'assume');
    mkdirSync(incoming);
    const f = frame(incoming, 7);
    writeFileSync(f.path, f.bytes);
    const started = Date.now();
    const r = await cli('ingest', incoming, '--archive', join(dir, 'a-assume'), '--assume-complete');
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(readFileSync(f.path)).toEqual(Buffer.from(f.bytes));
  });
});
