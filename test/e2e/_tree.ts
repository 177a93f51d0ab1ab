/** Shared by the crash tests: the files under a directory, SHA-256 of bytes, running the crash worker. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { join } from 'node:path';

/** Every regular file under `root`, recursively. */
export function listAll(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Lower-case hex SHA-256 of `bytes`. */
export const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Runs `crash-worker.mjs` with `args` (8 files at once) and resolves with how it ended and its stderr. */
export function runCrashWorker(args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const worker = new URL('./crash-worker.mjs', import.meta.url).pathname;
  return new Promise((resolve) => {
    const child = spawn('node', [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CRASH_CONCURRENCY: '8', ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/**
 * Makes `<base>/incoming` with `count` frames (every fifth with one extension when `extensions`) and an empty
 * `<base>/archive`; returns the folders and each frame's SHA-256 by name.
 */
export function crashFolders(base: string, count: number, axes: [number, number], extensions = false): { incoming: string; archive: string; staging: string; originals: Map<string, string> } {
  const incoming = join(base, 'incoming');
  const archive = join(base, 'archive');
  const staging = join(archive, '.staging');
  mkdirSync(incoming, { recursive: true });
  mkdirSync(archive);
  const start = Date.UTC(2026, 10, 20, 6, 0, 0);
  const originals = new Map<string, string>();
  for (let n = 1; n <= count; n++) {
    const options = { time: new Date(start + n * 73_210), frameNumber: n, axes, extensions: extensions && n % 5 === 0 ? 1 : 0 };
    const bytes = makeFrame(options);
    writeFileSync(join(incoming, frameName(options)), bytes);
    originals.set(frameName(options), sha(bytes));
  }
  return { incoming, archive, staging, originals };
}
