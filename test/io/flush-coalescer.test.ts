import { describe, expect, it } from 'vitest';
import { FlushCoalescer } from '../../src/io/durable-fs.js';

describe('FlushCoalescer', () => {
  it('shares flushes between callers, and always flushes after the call', async () => {
    const coalescer = new FlushCoalescer();
    const log: string[] = [];
    let release!: () => void;
    let calls = 0;
    const flush = () => {
      const n = ++calls;
      log.push(`start ${n}`);
      return new Promise<void>((resolve) => {
        release = () => {
          log.push(`end ${n}`);
          resolve();
        };
      });
    };
    const first = coalescer.flush('dir', flush);
    // These arrive while flush 1 runs: they must wait for a flush that starts after them (flush 2), shared.
    const second = coalescer.flush('dir', flush);
    const third = coalescer.flush('dir', flush);
    expect(second).toBe(third);
    release();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['start 1', 'end 1', 'start 2']);
    release();
    await Promise.all([second, third]);
    expect(calls).toBe(2);
    // Another key is independent.
    const other = coalescer.flush('other', async () => void log.push('other'));
    await other;
    expect(log.at(-1)).toBe('other');
  });

  it('passes failures to the callers of that flush and recovers', async () => {
    const coalescer = new FlushCoalescer();
    await expect(coalescer.flush('k', async () => Promise.reject(new Error('EIO')))).rejects.toThrow('EIO');
    await expect(coalescer.flush('k', async () => undefined)).resolves.toBeUndefined();
  });
});
