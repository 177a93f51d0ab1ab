/** The keyword trigger's own reconnection (for sources that do not reconnect), its options and start errors. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryKeywordBus, createMemoryKeywordSource } from '../../../src/adapters/keyword-sources/memory.js';
import { createKeywordTrigger, type KeywordTriggerOptions } from '../../../src/adapters/triggers/keyword.js';
import { IngestError, isIngestError } from '../../../src/core/errors.js';
import type { KeywordSource } from '../../../src/core/ports/keyword-source.js';
import { builtinInstrument } from '../../../src/instruments/index.js';
import { recordingSink } from '../../../src/testing/index.js';

const KEY = 'kbds.LOUTFILE';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fits-ingest-kw-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const instrument = () => ({ name: 'KCWI', keywordTrigger: { announce: { key: KEY }, roots: [dir] } });

describe('keyword trigger reconnection', () => {
  it('reconnects a source that does not reconnect by itself, waiting longer after each failure', async () => {
    const bus = createMemoryKeywordBus();
    const inner = createMemoryKeywordSource({ bus });
    const attempts: number[] = [];
    const source = new Proxy(inner, {
      get: (target, property) =>
        property === 'connect'
          ? () => {
              attempts.push(Date.now());
              return target.connect();
            }
          : Reflect.get(target, property),
    }) as KeywordSource;
    const sink = recordingSink();
    const trigger = createKeywordTrigger({ source, instrument: instrument(), reconnect: { initialDelayMs: 20, maxDelayMs: 400 } });
    await trigger.start(sink);
    try {
      bus.setAvailable(false);
      attempts.length = 0;
      await sleep(1200);
      // Without backoff a 20 ms retry would try 60 times; doubling from 20 ms (with jitter ×0.5–1) tries 4 to 9 times.
      expect(attempts.length).toBeGreaterThanOrEqual(4);
      expect(attempts.length).toBeLessThanOrEqual(9);
      const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
      expect(gaps.at(-1)!).toBeGreaterThan(2 * gaps[0]!);
      expect(sink.alerts.filter((a) => a.code === 'KEYWORD_SOURCE_UNAVAILABLE')).toHaveLength(1);
      bus.setAvailable(true);
      await vi.waitFor(() => expect(source.state).toBe('connected'), { timeout: 2000 });
      const path = join(dir, 'kb0001.fits');
      await writeFile(path, randomBytes(2880));
      bus.publish(KEY, path);
      await vi.waitFor(() => expect(sink.items.map((i) => i.path)).toEqual([path]));
    } finally {
      await trigger.stop();
    }
    expect(source.state).toBe('closed');
  });

  it('starts while the publisher is unreachable: alerts, resolves after startTimeoutMs, connects later', async () => {
    const bus = createMemoryKeywordBus();
    bus.setAvailable(false);
    const source = createMemoryKeywordSource({ bus });
    const sink = recordingSink();
    const trigger = createKeywordTrigger({ source, instrument: instrument(), startTimeoutMs: 200, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    const started = Date.now();
    await trigger.start(sink);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sink.alerts.map((a) => a.code)).toEqual(['KEYWORD_SOURCE_UNAVAILABLE']);
    expect(sink.alerts[0]!.message).toContain('cannot connect');
    bus.setAvailable(true);
    await vi.waitFor(() => expect(source.state).toBe('connected'), { timeout: 2000 });
    await trigger.stop();
  });
});

describe('createKeywordTrigger options', () => {
  it('takes its settings from an instrument description, with roots overridden by the deployment', async () => {
    const bus = createMemoryKeywordBus();
    const trigger = createKeywordTrigger({ source: createMemoryKeywordSource({ bus }), instrument: builtinInstrument('kcwi'), roots: [dir] });
    const sink = recordingSink();
    await trigger.start(sink);
    const path = join(dir, 'kr0001.fits');
    await writeFile(path, randomBytes(2880));
    bus.publish('krds.LOUTFILE', path);
    await vi.waitFor(() => expect(sink.items).toMatchObject([{ path, instrument: 'KCWI', complete: true }]));
    await trigger.stop();
  });

  it('rejects an instrument without keywordTrigger and bad options with INVALID_OPTIONS naming the field', () => {
    const source = createMemoryKeywordSource({ bus: createMemoryKeywordBus() });
    const bad: [unknown, string][] = [
      [{ source, instrument: builtinInstrument('nirc2') }, 'instrument.keywordTrigger'],
      [{ source, instrument: { name: 'X', keywordTrigger: { announce: { key: 'nodot' }, roots: [dir] } } }, 'instrument.keywordTrigger.announce.key'],
      [{ source: {}, instrument: instrument() }, 'source'],
      [{ source, instrument: instrument(), maxConcurrentSubmits: 0 }, 'maxConcurrentSubmits'],
      [{ source, instrument: instrument(), bogus: true }, '(root)'],
    ];
    for (const [options, field] of bad) {
      let error: unknown;
      try {
        createKeywordTrigger(options as KeywordTriggerOptions);
      } catch (e) {
        error = e;
      }
      expect(isIngestError(error, 'INVALID_OPTIONS'), field).toBe(true);
      expect((error as IngestError).context.field, field).toBe(field);
    }
  });

  it('start() rejects with the source error when the source cannot load; a later start retries; ALREADY_STARTED once started', async () => {
    const working = createMemoryKeywordSource({ bus: createMemoryKeywordBus() });
    let loadable = false;
    const source = new Proxy(working, {
      get: (target, property) =>
        property === 'connect' && !loadable ? () => Promise.reject(new IngestError('DEPENDENCY_MISSING', 'no zeromq')) : Reflect.get(target, property),
    }) as KeywordSource;
    const trigger = createKeywordTrigger({ source, instrument: instrument() });
    await expect(trigger.start(recordingSink())).rejects.toMatchObject({ code: 'DEPENDENCY_MISSING' });
    loadable = true; // the operator installed the package
    await trigger.start(recordingSink());
    await expect(trigger.start(recordingSink())).rejects.toMatchObject({ code: 'ALREADY_STARTED' });
    await trigger.stop();
    await expect(trigger.start(recordingSink())).rejects.toMatchObject({ code: 'ALREADY_STARTED' });
  });
});
