import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./_sqlite-child.ts', import.meta.url));

/** A running child process of `_sqlite-child.ts`, with its output lines. */
export interface Child {
  process: ChildProcess;
  /** Parsed JSON lines printed so far. */
  lines: unknown[];
  stderr: string[];
  /** Resolves with the exit code (or signal) when it ends. */
  exit: Promise<number | NodeJS.Signals | null>;
  /** Resolves once at least `n` lines were printed. */
  linesAtLeast(n: number): Promise<void>;
}

export function spawnChild(args: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: unknown[] = [];
  const stderr: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let partial = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const part of parts) if (part) lines.push(JSON.parse(part));
    for (const w of waiters.filter((w) => lines.length >= w.n)) w.resolve();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) => proc.on('exit', (code, signal) => resolve(signal ?? code)));
  return {
    process: proc,
    lines,
    stderr,
    exit,
    linesAtLeast: (n) =>
      new Promise<void>((resolve, reject) => {
        if (lines.length >= n) return resolve();
        waiters.push({ n, resolve });
        void exit.then((code) => reject(new Error(`child exited (${String(code)}) after ${lines.length} lines: ${stderr.join('')}`)));
      }),
  };
}

/**
 * Starts children together: each was spawned with `{ go, owner }` and waits at the barrier until all of them are
 * ready (catalog open), then this creates `go` to release them. Fails if a child exits before it is ready.
 */
export async function releaseTogether(go: string, children: { owner: string; child: Child }[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!children.every(({ owner }) => existsSync(`${go}.${owner}.ready`))) {
    if (Date.now() > deadline) throw new Error(`children not ready after 60 s: ${children.flatMap((c) => c.child.stderr).join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  writeFileSync(go, '');
}
