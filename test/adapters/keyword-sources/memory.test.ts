import { describe, expect, it } from 'vitest';
import {
  createMemoryKeywordBus,
  createMemoryKeywordSource,
  MEMORY_KEYWORD_SOURCE,
  type MemoryKeywordSourceOptions,
} from '../../../src/adapters/keyword-sources/memory.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { KeywordMessage, KeywordSourceState } from '../../../src/core/ports/keyword-source.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function listen(source: ReturnType<typeof createMemoryKeywordSource>, keys: string[]) {
  const messages: KeywordMessage[] = [];
  const states: KeywordSourceState[] = [];
  source.onStateChange((state) => states.push(state));
  const unsubscribe = source.subscribe(keys, { message: (m) => messages.push(m) });
  return { messages, states, unsubscribe };
}

describe('createMemoryKeywordSource', () => {
  it('has the documented name and capabilities, and starts connecting', () => {
    const source = createMemoryKeywordSource({ bus: createMemoryKeywordBus() });
    expect(source.name).toBe(MEMORY_KEYWORD_SOURCE);
    expect(source.capabilities).toEqual({ primes: true, requestReply: true, reconnects: false });
    expect(source.state).toBe('connecting');
  });

  it('delivers publications of the subscribed keys only, in order, with value and time', async () => {
    const bus = createMemoryKeywordBus();
    const source = createMemoryKeywordSource({ bus });
    const { messages } = listen(source, ['kbds.LOUTFILE']);
    await source.connect();
    bus.publish('kbds.LOUTFILE', '/s/a.fits', 1000);
    bus.publish('kbds.LOUTFILE2', '/s/other.fits', 1001);
    bus.publish('kbds.LOUTFILE', '/s/b.fits', 1002);
    await tick();
    expect(messages).toEqual([
      { key: 'kbds.LOUTFILE', value: '/s/a.fits', time: 1000 },
      { key: 'kbds.LOUTFILE', value: '/s/b.fits', time: 1002 },
    ]);
  });

  it('primes: the current value, flagged initial, on connecting and on a new subscription', async () => {
    const bus = createMemoryKeywordBus();
    bus.publish('kbds.LOUTFILE', '/s/old.fits', 5);
    bus.publish('kbds.ITERATION', 41, 6);
    const source = createMemoryKeywordSource({ bus });
    const { messages } = listen(source, ['kbds.LOUTFILE']);
    await source.connect();
    await tick();
    expect(messages).toEqual([{ key: 'kbds.LOUTFILE', value: '/s/old.fits', time: 5, initial: true }]);
    source.subscribe(['kbds.ITERATION'], { message: (m) => messages.push(m) });
    await tick();
    expect(messages.at(-1)).toEqual({ key: 'kbds.ITERATION', value: 41, time: 6, initial: true });
    await expect(source.get('kbds.ITERATION')).resolves.toEqual({ key: 'kbds.ITERATION', value: 41, time: 6 });
    await expect(source.get('nothing.HERE')).resolves.toBeUndefined();
  });

  it('goes disconnected when the link is cut, refuses connect() until it is back, then primes again', async () => {
    const bus = createMemoryKeywordBus();
    const source = createMemoryKeywordSource({ bus });
    const { messages, states } = listen(source, ['kbds.LOUTFILE']);
    await source.connect();
    bus.publish('kbds.LOUTFILE', '/s/1.fits', 1);
    await tick();
    bus.setAvailable(false);
    expect(source.state).toBe('disconnected');
    bus.publish('kbds.LOUTFILE', '/s/2.fits', 2);
    await tick();
    const refused = await source.connect().catch((e: unknown) => e);
    expect(isIngestError(refused, 'KEYWORD_SOURCE_UNAVAILABLE')).toBe(true);
    await expect(source.get('kbds.LOUTFILE')).rejects.toMatchObject({ code: 'KEYWORD_SOURCE_UNAVAILABLE' });
    bus.setAvailable(true);
    await source.connect();
    await tick();
    expect(states).toEqual(['connected', 'disconnected', 'connected']);
    // /s/2.fits was published while cut: only the prime after reconnecting brings it.
    expect(messages).toEqual([
      { key: 'kbds.LOUTFILE', value: '/s/1.fits', time: 1 },
      { key: 'kbds.LOUTFILE', value: '/s/2.fits', time: 2, initial: true },
    ]);
  });

  it('stops delivering after unsubscribe and after close(); close is final and idempotent', async () => {
    const bus = createMemoryKeywordBus();
    const source = createMemoryKeywordSource({ bus });
    const { messages, unsubscribe } = listen(source, ['kbds.LOUTFILE']);
    await source.connect();
    unsubscribe();
    bus.publish('kbds.LOUTFILE', '/s/x.fits');
    await tick();
    expect(messages).toEqual([]);
    const other = listen(source, ['kbds.LOUTFILE']);
    await source.close();
    await source.close();
    bus.publish('kbds.LOUTFILE', '/s/y.fits');
    await tick();
    expect(other.messages.filter((m) => !m.initial)).toEqual([]);
    expect(source.state).toBe('closed');
    await expect(source.connect()).rejects.toMatchObject({ code: 'KEYWORD_SOURCE_UNAVAILABLE' });
  });

  it('rejects options without a bus made by createMemoryKeywordBus', () => {
    for (const options of [{}, { bus: { publish() {} } }, { bus: createMemoryKeywordBus(), extra: 1 }]) {
      let error: unknown;
      try {
        createMemoryKeywordSource(options as MemoryKeywordSourceOptions);
      } catch (e) {
        error = e;
      }
      expect(isIngestError(error, 'INVALID_OPTIONS')).toBe(true);
    }
  });
});
