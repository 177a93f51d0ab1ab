/** `fits-ingest serve` as a child process (from the sources, through tsx), for tests that kill and restart it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/** A running `fits-ingest serve`. */
export interface ServeChild {
  process: ChildProcess;
  url: string;
  /** Output lines (stdout JSON) and stderr so far. */
  lines: Record<string, unknown>[];
  stderr: string[];
  exit: Promise<number | NodeJS.Signals | null>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `fits-ingest serve <args> --json` and resolves once it listens. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  let partial = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const part of parts) {
        if (!part) continue;
        const line = JSON.parse(part) as Record<string, unknown>;
        lines.push(line);
        if (line['event'] === 'listening') resolve(line['url'] as string);
      }
    });
    void exit.then((code) => reject(new Error(`fits-ingest serve exited (${String(code)}) before listening: ${stderr.join('')}`)));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    return { process: child, url: await listening, lines, stderr, exit };
  } finally {
    clearTimeout(timer);
  }
}
