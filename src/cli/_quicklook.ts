/**
 * Quick-look for `watch --quicklook RULES` and `serve --quicklook RULES`: the processing rules file put into the
 * instrument descriptions, the SQLite processing store (the catalog's own file), the pipeline (the example
 * imager_reduce.py unless `--pipeline` names another) in `--processing-areas` areas, and the listener; plus the
 * latency readout `status` prints.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase } from '../adapters/_shared/sqlite-driver.js';
import { createSqliteProcessingStore } from '../adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../adapters/processors/command.js';
import { IngestError } from '../core/errors.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';
import { summarize, type Spread } from '../core/processing/quicklook.js';
import type { Ingestor } from '../core/runtime/engine.js';
import { loadProcessingRules } from '../instruments/load.js';
import { areasUnder } from '../processing/areas.js';
import { createQuickLook, type QuickLook, type QuickLookStatus } from '../processing/quicklook.js';
import { createProcessingService, type ProcessingService } from '../processing/service.js';
import { examplePipelinePath } from './_processing.js';
import type { CliIo } from './_output.js';
import { defaultCatalogSpec, loadInstruments } from './_setup.js';
import type { QuickLookCliOptions } from './_quicklook-options.js';

/** The instrument descriptions with the rules of `--quicklook` put in (undefined without it). */
export async function quickLookInstruments(options: QuickLookCliOptions): Promise<InstrumentDescription[] | undefined> {
  if (options.quicklook === undefined) return undefined;
  return loadProcessingRules(resolve(options.quicklook), await loadInstruments(options.instruments));
}

/** Where the processing store is: `--processing-store`, else the file of a `sqlite:` catalog. */
export function processingStorePath(options: Pick<QuickLookCliOptions, 'archive' | 'catalog' | 'processingStore'>): string {
  const spec = options.catalog ?? defaultCatalogSpec(resolve(options.archive));
  const path = options.processingStore ?? (spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : undefined);
  if (!path) throw new IngestError('INVALID_OPTIONS', 'a non-SQLite catalog needs --processing-store FILE for requests and quick-look state', { context: { field: 'processing-store' } });
  return resolve(path);
}

/** A started quick-look beside a started ingestor. */
export interface RunningQuickLook {
  quickLook: QuickLook;
  service: ProcessingService;
  stop(): Promise<void>;
}

/** Starts the processing service and the quick-look listener of `ingestor` (started, with the rules' instruments). */
export async function startQuickLook(ingestor: Ingestor, options: QuickLookCliOptions, io: CliIo, command: string): Promise<RunningQuickLook> {
  const archive = resolve(options.archive);
  const store = createSqliteProcessingStore({ path: processingStorePath(options) });
  await store.init();
  const program = options.pipeline ? ['/bin/sh', '-c', `${options.pipeline} "$1"`, 'sh'] : ['/usr/bin/python3', examplePipelinePath()];
  const processor = createCommandProcessor({ name: options.pipelineName ?? 'imager_reduce', version: options.pipelineVersion ?? '1.0', command: program, timeoutMs: 600_000 });
  const root = join(archive, '.processing');
  const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(root, Math.max(1, Number(options.processingAreas ?? 2) | 0)), outbox: join(root, 'outbox'), pollMs: 100 });
  const late = Number(options.lateAfter ?? 300);
  const closeAfter = options.closeAfter === undefined ? undefined : Number(options.closeAfter);
  if (!(late > 0)) throw new IngestError('INVALID_OPTIONS', `--late-after must be a positive number of seconds, got ${options.lateAfter}`, { context: { field: 'late-after' } });
  if (closeAfter !== undefined && !(closeAfter >= 0)) throw new IngestError('INVALID_OPTIONS', `--close-after must be a number of hours, got ${options.closeAfter}`, { context: { field: 'close-after' } });
  const quickLook = createQuickLook({ service, lateAfterMs: late * 1000, ...(closeAfter !== undefined ? { closeAfterHours: closeAfter } : {}) });
  try {
    await service.start();
    await quickLook.start();
  } catch (error) {
    await service.stop({ abort: true });
    await store.close();
    throw error;
  }
  io.stderr.write(`fits-ingest ${command}: quick-look on arrival with ${options.quicklook} (${processor.name} ${processor.version})\n`);
  return {
    quickLook, service,
    async stop() {
      await quickLook.stop();
      await service.stop({ abort: true });
      await store.close();
    },
  };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const line = (label: string, s: Spread | undefined): string => `  ${label.padEnd(34)} ${s ? `p50 ${seconds(s.p50)}  p99 ${seconds(s.p99)}  max ${seconds(s.max)}  (${s.count})` : '-'}\n`;

/** The quick-look part of `status`: undefined when the processing store holds no quick-look state. */
export async function readQuickLookStatus(options: { catalog: string; processingStore?: string; lateAfterMs: number }): Promise<QuickLookStatus | undefined> {
  const path = options.processingStore ?? (options.catalog.startsWith('sqlite:') ? options.catalog.slice('sqlite:'.length) : undefined);
  if (!path || !existsSync(path)) return undefined;
  // status only reads: a catalog that never ran quick-look gets no processing tables from it.
  const probe = await openDatabase({ path, busyTimeoutMs: 5000 });
  const has = probe.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'processing_frames'").get() !== undefined;
  probe.close();
  if (!has) return undefined;
  const store = createSqliteProcessingStore({ path });
  await store.init();
  try {
    const frames = await store.findFrames();
    const nights = await store.listNights();
    if (frames.length === 0 && nights.length === 0) return undefined;
    return { ...summarize(frames, options.lateAfterMs, Date.now()), nights };
  } finally {
    await store.close();
  }
}

/** Prints the latency readout. */
export function printQuickLookStatus(io: CliIo, s: QuickLookStatus): void {
  io.stdout.write(`\nquick-look: ${s.states.DONE} done, ${s.states.QUEUED} queued or running, ${s.states.WAITING} waiting for masters, ${s.states.FAILED} failed; ${s.late} late (> ${s.lateAfterMs / 1000} s)\n`);
  io.stdout.write(line('file complete → ARCHIVED', s.archived));
  io.stdout.write(line('file complete → quick-look ARCHIVED', s.quicklook));
  io.stdout.write(line('ARCHIVED → quick-look ARCHIVED', s.processing));
  for (const w of s.waiting) io.stdout.write(`  waiting  ${w.archiveId}  ${w.rule}  needs ${w.waitingFor.join(', ')} masters of ${w.night}\n`);
  for (const n of s.nights.slice(0, 5)) {
    io.stdout.write(`  night ${n.night} ${n.instrument}  ${n.state}${n.state === 'CLOSED' ? `  ${n.products?.length ?? 0} level-2 product(s), ${n.failed ?? 0} failed` : ''}\n`);
  }
}
