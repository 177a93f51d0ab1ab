/** Simulated frames written to a directory, for tests that ingest a small night with the CLI. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameName, makeFrame } from '../../src/simulator/frames.js';

/** Writes `count` 64×64 frames, one a minute after `startMs`, into `dir` (created); returns `dir`. */
export function writeFrames(dir: string, count: number, startMs: number): string {
  mkdirSync(dir, { recursive: true });
  for (let n = 1; n <= count; n++) {
    const options = { time: new Date(startMs + n * 61_000), frameNumber: n, axes: [64, 64] as [number, number] };
    writeFileSync(join(dir, frameName(options)), makeFrame(options));
  }
  return dir;
}

/**
 * A temp directory holding `archive/` made by `fits-ingest ingest` of `count` simulated frames (asserting exit 0)
 * and an empty `vols/` for media volumes.
 */
export async function ingestedArchive(prefix: string, count: number, startMs: number): Promise<{ dir: string; archive: string; vols: string }> {
  const { cli } = await import('./cli.js');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const incoming = writeFrames(join(dir, 'incoming'), count, startMs);
  const archive = join(dir, 'archive');
  const r = await cli('ingest', incoming, '--archive', archive);
  if (r.code !== 0) throw new Error(`ingest exited ${r.code}: ${r.stderr}`);
  const vols = join(dir, 'vols');
  mkdirSync(vols);
  return { dir, archive, vols };
}
