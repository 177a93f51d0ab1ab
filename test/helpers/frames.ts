/** Simulated frames written to a directory, for tests that ingest a small night with the CLI. */
import { mkdirSync, writeFileSync } from 'node:fs';
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
