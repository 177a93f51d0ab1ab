/**
 * Running a child in its own process group until it exits, is aborted or times out; the whole group is killed
 * (SIGTERM, then SIGKILL after a grace period) so nothing a pipeline started outlives its job. Internal.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';

/** How the child ended, and what it printed. */
export type GroupOutcome = { log: string } & (
  | { ended: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { ended: 'aborted' | 'timeout' }
  | { ended: 'error'; message: string }
);

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Waits for `child` (spawned with `detached: true`) and collects stdout and stderr, keeping the last bytes. */
export function runGroup(child: ChildProcess, options: { signal: AbortSignal; timeoutMs: number; killGraceMs: number; maxLogBytes: number }): Promise<GroupOutcome> {
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    while (size > options.maxLogBytes && chunks.length > 1) size -= chunks.shift()!.length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const log = (): string => Buffer.concat(chunks).toString('utf8');
  return new Promise((resolve) => {
    let stopping: 'aborted' | 'timeout' | undefined;
    let grace: NodeJS.Timeout | undefined;
    const stop = (why: 'aborted' | 'timeout'): void => {
      if (stopping) return;
      stopping = why;
      killGroup(child, 'SIGTERM');
      grace = setTimeout(() => killGroup(child, 'SIGKILL'), options.killGraceMs);
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = (): void => stop('aborted');
    options.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: GroupOutcome): void => {
      clearTimeout(timer);
      clearTimeout(grace);
      options.signal.removeEventListener('abort', onAbort);
      // Whatever the leader's fate, nothing of its group may go on writing into the area.
      killGroup(child, 'SIGKILL');
      resolve(outcome);
    };
    child.once('error', (error) => finish({ ended: 'error', message: error.message, log: log() }));
    child.once('close', (code, signal) => finish(stopping ? { ended: stopping, log: log() } : { ended: 'exit', code, signal, log: log() }));
  });
}
