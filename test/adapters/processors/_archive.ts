/**
 * A small real archive for the reprocessing tests: KCWI frames from the simulator (3 biases, 2 flats, 3 science
 * frames of program K123, 1 of K999) ingested by the real engine into SQLite + filesystem, and a processing
 * service over it (SQLite processing store in the catalog's own file).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestorFromOptions } from '../../../src/cli/_run-ingestor.js';
import type { Processor } from '../../../src/core/ports/processor.js';
import type { Ingestor } from '../../../src/core/runtime/engine.js';
import { createSqliteProcessingStore } from '../../../src/adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../../../src/adapters/processors/command.js';
import { areasUnder } from '../../../src/processing/areas.js';
import { createProcessingService, type ProcessingService, type ProcessingServiceOptions } from '../../../src/processing/service.js';
import { frameName, makeFrame, type FrameOptions } from '../../../src/simulator/frames.js';

export const T0 = Date.UTC(2026, 10, 20, 6, 0, 0);
export const PIPELINE = new URL('../../../examples/pipelines/imager_reduce.py', import.meta.url).pathname;
const AXES: [number, number] = [48, 40];

const FRAMES: [label: string, minutes: number, options: Partial<FrameOptions>][] = [
  ['bias1', 0, { kind: 'bias', program: 'CAL' }],
  ['bias2', 1, { kind: 'bias', program: 'CAL' }],
  ['bias3', 2, { kind: 'bias', program: 'CAL' }],
  ['flat1', 5, { kind: 'flatlamp', program: 'CAL' }],
  ['flat2', 6, { kind: 'flatlamp', program: 'CAL' }],
  ['sci1', 30, { program: 'K123' }],
  ['sci2', 60, { program: 'K123' }],
  ['sci3', 90, { program: 'K123' }],
  ['other', 100, { program: 'K999' }],
];

export interface TestArchive {
  dir: string;
  archive: string;
  ingestor: Ingestor;
  /** Archive id by label. */
  ids: Record<string, string>;
  /** Minutes after T0 of each label. */
  minutes: Record<string, number>;
  service(options: { processor: Processor; areas?: number; prefix?: string; options?: Partial<ProcessingServiceOptions> }): Promise<ProcessingService>;
  close(): Promise<void>;
}

/** The example pipeline through the command processor; each run appends a line to `counter`. */
export function examplePipeline(counter: string, options: { timeoutMs?: number; version?: string } = {}): Processor {
  return createCommandProcessor({
    name: 'imager_reduce', version: options.version ?? '1.0', timeoutMs: options.timeoutMs ?? 60_000,
    command: ['/bin/sh', '-c', `echo run >> '${counter}'; exec /usr/bin/python3 '${PIPELINE}' "$1"`, 'sh'],
  });
}

export async function buildArchive(prefix: string): Promise<TestArchive> {
  const dir = mkdtempSync(join(tmpdir(), `fits-reprocess-${prefix}-`));
  const incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  const byPath = new Map<string, string>();
  const minutes: Record<string, number> = {};
  FRAMES.forEach(([label, m, options], i) => {
    const frame: FrameOptions = { time: new Date(T0 + m * 60_000), frameNumber: i + 1, axes: AXES, ...options };
    const path = join(incoming, frameName(frame));
    writeFileSync(path, makeFrame(frame));
    byPath.set(path, label);
    minutes[label] = m;
  });
  const archive = join(dir, 'archive');
  const { ingestor } = await ingestorFromOptions({ archive }, { stability: { quietMs: 0, settleMs: 0 } });
  await ingestor.start();
  const ids: Record<string, string> = {};
  const submitted = await Promise.all([...byPath.keys()].map(async (path) => (await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id));
  for (const r of await ingestor.settled(submitted)) {
    if (r.state !== 'ARCHIVED') throw new Error(`${r.source}: ${r.state} ${r.error?.message ?? ''}`);
    ids[byPath.get(r.source)!] = r.archiveId!;
  }
  const services: ProcessingService[] = [];
  return {
    dir, archive, ingestor, ids, minutes,
    async service({ processor, areas = 1, prefix, options = {} }) {
      const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
      await store.init();
      const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(join(dir, 'areas'), areas, prefix), pollMs: 50, ...options });
      await service.start();
      services.push(service);
      return service;
    },
    async close() {
      for (const s of services) {
        await s.stop({ abort: true });
        await s.context.store.close();
      }
      await ingestor.stop();
      await ingestor.catalog.close();
    },
  };
}

/** Certifies the 3 biases and 2 flats (or the roles given) for KCWI imaging from `from` minutes on. */
export function calibrationFiles(ids: Record<string, string>, labels = ['bias1', 'bias2', 'bias3', 'flat1', 'flat2']): { role: string; archiveId: string }[] {
  return labels.map((l) => ({ role: l.startsWith('bias') ? 'bias' : 'flat', archiveId: ids[l]! }));
}
