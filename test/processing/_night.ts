/**
 * A live little KCWI night for the quick-look tests: the real engine over SQLite and the filesystem, with the
 * example processing rules (examples/pipelines/kcwi-quicklook.yaml) put into KCWI, a SQLite processing store in
 * the catalog's file, the example Python pipeline, and the quick-look listener. Frames are written and submitted
 * one by one, as an instrument would.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteProcessingStore } from '../../src/adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../../src/adapters/processors/command.js';
import { ingestorFromOptions } from '../../src/cli/_run-ingestor.js';
import { loadInstruments } from '../../src/cli/_setup.js';
import type { TriggerAlert } from '../../src/core/ports/trigger.js';
import type { Ingestor } from '../../src/core/runtime/engine.js';
import { loadProcessingRules } from '../../src/instruments/load.js';
import { areasUnder } from '../../src/processing/areas.js';
import { createQuickLook, type QuickLook, type QuickLookOptions } from '../../src/processing/quicklook.js';
import { createProcessingService, type ProcessingService } from '../../src/processing/service.js';
import { frameName, makeFrame, type FrameKind } from '../../src/simulator/frames.js';

export const T0 = Date.UTC(2026, 10, 20, 6, 0, 0);
export const NIGHT = '2026-11-20';
export const RULES = new URL('../../examples/pipelines/kcwi-quicklook.yaml', import.meta.url).pathname;
const PIPELINE = new URL('../../examples/pipelines/imager_reduce.py', import.meta.url).pathname;

export interface LiveNight {
  dir: string;
  archive: string;
  ingestor: Ingestor;
  service: ProcessingService;
  quickLook: QuickLook;
  alerts: TriggerAlert[];
  /** Writes and ingests one frame (minutes after T0); resolves to its archive id once ARCHIVED. */
  frame(kind: FrameKind, minutes: number, program?: string): Promise<string>;
  /** Pipeline runs so far (each appends a line to a counter file). */
  runs(): number;
  close(): Promise<void>;
}

/** Polls `check` until it returns a value (not undefined/false), at most `ms`. */
export async function until<T>(check: () => Promise<T | undefined | false>, ms = 90_000, what = 'the condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function liveNight(prefix: string, options: Omit<QuickLookOptions, 'service'> = {}): Promise<LiveNight> {
  const dir = mkdtempSync(join(tmpdir(), `fits-quicklook-${prefix}-`));
  const incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  const archive = join(dir, 'archive');
  const instruments = await loadProcessingRules(RULES, await loadInstruments());
  const { ingestor } = await ingestorFromOptions({ archive }, { stability: { quietMs: 0, settleMs: 0 }, instruments });
  await ingestor.start();
  const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
  await store.init();
  const counter = join(dir, 'runs');
  writeFileSync(counter, '');
  const processor = createCommandProcessor({
    name: 'imager_reduce', version: '1.0', timeoutMs: 120_000,
    command: ['/bin/sh', '-c', `echo run >> '${counter}'; exec /usr/bin/python3 '${PIPELINE}' "$1"`, 'sh'],
  });
  const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(join(dir, 'areas'), 2), pollMs: 50 });
  await service.start();
  const quickLook = createQuickLook({ service, tickMs: 50, ...options });
  const alerts: TriggerAlert[] = [];
  ingestor.on('alert', (a) => alerts.push(a));
  await quickLook.start();
  let number = 0;
  return {
    dir, archive, ingestor, service, quickLook, alerts,
    async frame(kind, minutes, program = kind === 'object' ? 'K123' : 'CAL') {
      number++;
      const options = { time: new Date(T0 + minutes * 60_000), frameNumber: number, axes: [48, 40] as [number, number], kind, program };
      const path = join(incoming, frameName(options));
      writeFileSync(path, makeFrame(options));
      const { record } = await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
      const [done] = await ingestor.settled([record.id]);
      if (done?.state !== 'ARCHIVED') throw new Error(`${path}: ${done?.state} ${done?.error?.message ?? ''}`);
      return done.archiveId!;
    },
    runs: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length,
    async close() {
      await quickLook.stop();
      await service.stop({ abort: true });
      await store.close();
      await ingestor.stop();
      await ingestor.catalog.close();
    },
  };
}
