/** The lifecycle rules written once: init-once, start-once with retry after a failed start, dispose-once. */
import { describe, expect, it } from 'vitest';
import { isIngestError } from '../../../src/core/errors.js';
import { disposeOnce, initOnce, startStop } from '../../../src/core/runtime/once.js';

describe('initOnce', () => {
  it('runs once for concurrent callers, forgets a failure so the next call retries, and remembers a success', async () => {
    let runs = 0;
    let fail = true;
    const init = initOnce(async () => {
      runs++;
      await Promise.resolve();
      if (fail) throw new Error('disk not mounted');
      return runs;
    });
    const [a, b] = await Promise.allSettled([init(), init()]);
    expect([a.status, b.status, runs, init.done]).toEqual(['rejected', 'rejected', 1, false]);
    fail = false;
    expect(await init()).toBe(2);
    expect(await init()).toBe(2);
    expect([runs, init.done]).toEqual([2, true]);
    init.reset();
    expect(await init()).toBe(3);
  });
});

describe('disposeOnce', () => {
  it('closes once however often it is called, and every caller sees that one close', async () => {
    let closes = 0;
    const close = disposeOnce(async () => void closes++);
    await Promise.all([close(), close()]);
    await close();
    expect(closes).toBe(1);
  });
});

describe('startStop', () => {
  const service = (options: { restartable?: boolean; interruptStart?: boolean } = {}) => {
    const log: string[] = [];
    let failures = 0;
    let release: (() => void) | undefined;
    const life = startStop({
      name: 'the test service',
      ...options,
      async start(mode: 'ok' | 'fail' | 'slow') {
        log.push(`start:${mode}`);
        if (mode === 'fail') {
          failures++;
          throw new Error(`cannot start (${failures})`);
        }
        if (mode === 'slow') await new Promise<void>((done) => (release = done));
      },
      async stop() {
        log.push('stop');
        release?.();
      },
    });
    return { life, log };
  };

  it('rolls a failed start back with stop and lets a later start succeed', async () => {
    const { life, log } = service();
    await expect(life.start('fail')).rejects.toThrow('cannot start (1)');
    expect(life.state).toBe('idle');
    await life.start('ok');
    expect(life.state).toBe('running');
    expect(log).toEqual(['start:fail', 'stop', 'start:ok']);
  });

  it('rejects a second start with ALREADY_STARTED, and a start after stop unless restartable', async () => {
    const { life } = service();
    await life.start('ok');
    expect(isIngestError(await life.start('ok').catch((e: unknown) => e), 'ALREADY_STARTED')).toBe(true);
    await life.stop();
    expect(life.state).toBe('stopped');
    expect(isIngestError(await life.start('ok').catch((e: unknown) => e), 'ALREADY_STARTED')).toBe(true);

    const again = service({ restartable: true });
    await again.life.start('ok');
    await again.life.stop();
    await again.life.start('ok');
    expect(again.log).toEqual(['start:ok', 'stop', 'start:ok']);
  });

  it('stops once: concurrent and later stops share it; a stop before any start makes stop final', async () => {
    const { life, log } = service();
    await life.start('ok');
    await Promise.all([life.stop(), life.stop()]);
    await life.stop();
    expect(log.filter((l) => l === 'stop')).toHaveLength(1);

    const never = service();
    await never.life.stop();
    expect(never.log).toEqual([]);
    expect(isIngestError(await never.life.start('ok').catch((e: unknown) => e), 'ALREADY_STARTED')).toBe(true);
  });

  it('a stop during a start waits for it, or interrupts it when the service says so', async () => {
    const waiting = service();
    const started = waiting.life.start('slow');
    await Promise.resolve();
    const stopped = waiting.life.stop();
    await Promise.resolve();
    expect(waiting.log).toEqual(['start:slow']); // the stop waits …
    expect(waiting.life.state).toBe('starting');

    const interrupting = service({ interruptStart: true });
    const scan = interrupting.life.start('slow');
    await Promise.resolve();
    await interrupting.life.stop(); // … unless it may interrupt: stop runs and the start finishes early
    await scan;
    expect(interrupting.log).toEqual(['start:slow', 'stop']);
    expect(interrupting.life.state).toBe('stopped');
    void started;
    void stopped;
  });
});
