/**
 * A deterministic engine rig: the manual clock, in-memory files, catalog and transport from fits-ingest/testing.
 * No real sleeps and no real files: every test's time is the clock's, moved by hand.
 */
import { createHash } from 'node:crypto';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import { createEngine, type EngineOptions, type Ingestor } from '../../../src/core/runtime/engine.js';
import { builtinInstruments } from '../../../src/instruments/builtin/index.js';
import { frameName, makeFrame } from '../../../src/simulator/frames.js';
import { createManualClock, createMemoryFiles, createMemoryTransport, type ManualClock, type MemoryFiles, type MemoryTransport } from '../../../src/testing/index.js';

/** The clock's start: a night at Keck. */
export const T0 = Date.UTC(2026, 10, 20, 8, 30, 0);
export const TICK = 10;

export interface Rig {
  clock: ManualClock;
  files: MemoryFiles;
  catalog: Catalog;
  transport: MemoryTransport;
  engine: Ingestor;
  /** Puts frame `n` into /incoming and returns its path. */
  frame(n: number): string;
  /** Moves the clock in ticks until every record is final (or `maxMs` of clock time passed). */
  settle(ids: readonly string[], maxMs?: number): Promise<number>;
}

let ids = 0;

/** A rig; `shared` parts (files, catalog) let a second rig play a restarted process on the same state. */
export function rig(options: Partial<EngineOptions> & { clock?: ManualClock; files?: MemoryFiles } = {}): Rig {
  const clock = options.clock ?? createManualClock({ now: T0 });
  const files = options.files ?? createMemoryFiles({ clock });
  const catalog = options.catalog ?? createMemoryCatalog();
  const transport = createMemoryTransport({ files, now: clock.now });
  const engine = createEngine({
    instruments: builtinInstruments(),
    transports: [transport],
    staging: '/staging',
    stability: { quietMs: 0, pollMs: 20, settleMs: 0 },
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
    tickMs: TICK,
    claimIntervalMs: 500,
    random: () => 0.5,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    ...options,
    catalog,
    files,
    clock,
  });
  return {
    clock,
    files,
    catalog,
    transport,
    engine,
    frame(n) {
      const frame = { time: new Date(T0 - 3_600_000 + n * 60_000), frameNumber: n, axes: [32, 32] as [number, number] };
      const path = `/incoming/${frameName(frame)}`;
      files.put(path, makeFrame(frame));
      return path;
    },
    async settle(recordIds, maxMs = 600_000) {
      return clock.advanceUntil(async () => (await Promise.all(recordIds.map((id) => catalog.getRecord(id)))).every((r) => r && ['ARCHIVED', 'INVALID', 'ABANDONED', 'DUPLICATE', 'SUPERSEDED'].includes(r.state)), {
        stepMs: TICK,
        maxMs,
      });
    },
  };
}

/** A complete announcement of `path`, as a trigger makes it. */
export const item = (path: string, at = T0) => ({ path, trigger: 'test', detectedAt: at, complete: true });

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
