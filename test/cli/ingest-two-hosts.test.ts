/**
 * Two `fits-ingest ingest` processes on one folder and one catalog (two hosts sharing the work): each ends, and each
 * reports every file. A process waiting for records the other host archives gets no event for them; with more
 * than its window of such records (64) it used to wait for good.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameName, makeFrame } from '../../src/simulator/frames.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'fits-two-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ingest(owner: string, incoming: string, archive: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'ingest', incoming, '--archive', archive, '--assume-complete', '--owner', owner, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.trim().split('\n').filter(Boolean), stderr });
    });
  });
}

describe('two ingest processes on one folder and one catalog', () => {
  it('both end, each reports every file ARCHIVED, and each file is archived once', async () => {
    const incoming = join(dir, 'in');
    const archive = join(dir, 'archive');
    mkdirSync(incoming);
    const FILES = 200;
    for (let n = 1; n <= FILES; n++) {
      const options = { time: new Date(Date.UTC(2026, 10, 20, 6) + n * 61_000), frameNumber: n, axes: [16, 16] as [number, number] };
      writeFileSync(join(incoming, frameName(options)), makeFrame(options));
    }
    const [a, b] = await Promise.all([ingest('host-a', incoming, archive), ingest('host-b', incoming, archive)]);
    for (const run of [a, b]) {
      expect(run.code, run.stderr).toBe(0);
      const states = run.lines.map((l) => (JSON.parse(l) as { state: string }).state);
      expect(states).toHaveLength(FILES);
      expect(states.filter((s) => s !== 'ARCHIVED')).toEqual([]);
    }
    const ids = new Set([...a.lines, ...b.lines].map((l) => (JSON.parse(l) as { archiveId?: string; location?: string }).location));
    expect(ids.size).toBe(FILES);
  }, 180_000);
});
