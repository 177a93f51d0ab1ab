/**
 * Quick-look in `fits-ingest demo`, as at Keck: KCWI gets the example processing rules
 * (examples/pipelines/kcwi-quicklook.yaml), and while the simulated night is written each science frame is
 * reduced in quick-look mode by the example pipeline as soon as it is archived and the night's masters exist
 * (frames before the flats wait); at the end the night is closed (masters rebuilt, one level-2 batch released),
 * and the latencies are reported.
 */
import { dirname, join } from 'node:path';
import { createSqliteProcessingStore } from '../adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../adapters/processors/command.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';
import { spread, type Spread } from '../core/processing/quicklook.js';
import type { Ingestor } from '../core/runtime/engine.js';
import { loadProcessingRules } from '../instruments/load.js';
import { areasUnder } from '../processing/areas.js';
import { createQuickLook, type QuickLook } from '../processing/quicklook.js';
import { createProcessingService, type ProcessingService } from '../processing/service.js';
import { examplePipelinePath } from './_processing.js';
import { loadInstruments } from './_setup.js';

/** The example processing rules shipped next to the example pipeline. */
export function exampleRulesPath(): string {
  return join(dirname(examplePipelinePath()), 'kcwi-quicklook.yaml');
}

/** The shipped descriptions, KCWI with the example processing rules. */
export async function demoInstruments(): Promise<InstrumentDescription[]> {
  return loadProcessingRules(exampleRulesPath(), await loadInstruments());
}

/** What the demo reports of quick-look and the night's close. */
export interface DemoQuickLook {
  frames: number;
  done: number;
  failed: { archiveId: string; code: string; message: string }[];
  /** How many frames waited for masters at some point (they arrived before the flats). */
  waited: number;
  /** Milliseconds: file complete → ARCHIVED, → quick-look ARCHIVED, and ARCHIVED → quick-look ARCHIVED. */
  latencyMs: { archived?: Spread; quicklook?: Spread; processing?: Spread };
  /** The pipeline's own run time per quick-look (from its request's start to its end), for comparison. */
  pipelineMs?: Spread;
  nights: { night: string; state: string; requests: number; products: number; failed: number; masters: string[] }[];
  seconds: number;
}

/** A quick-look running beside the demo's engine. */
export interface DemoQuickLookRun {
  quickLook: QuickLook;
  service: ProcessingService;
  /** Waits for the quick-looks (at most `timeoutMs`), closes every night, reports; stops everything. */
  finish(timeoutMs?: number): Promise<DemoQuickLook>;
  stop(): Promise<void>;
}

/** Starts the processing service and the quick-look listener on the demo's started engine. */
export async function startDemoQuickLook(ingestor: Ingestor, archive: string, root: string): Promise<DemoQuickLookRun> {
  const started = Date.now();
  const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
  await store.init();
  const processor = createCommandProcessor({ name: 'imager_reduce', version: '1.0', command: ['/usr/bin/python3', examplePipelinePath()], timeoutMs: 120_000 });
  const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(join(root, 'processing'), 2), outbox: join(root, 'processing', 'outbox'), pollMs: 100 });
  const quickLook = createQuickLook({ service, tickMs: 100, catchUpHours: 0 });
  await service.start();
  await quickLook.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await quickLook.stop();
    await service.stop({ abort: true });
    await store.close();
  };
  return {
    quickLook, service, stop,
    async finish(timeoutMs = 300_000) {
      try {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          await quickLook.tick();
          const open = await store.findFrames({ states: ['WAITING', 'QUEUED'] });
          if (open.length === 0 || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const frames = await store.findFrames();
        const nights = [...new Set(frames.map((f) => `${f.instrument} ${f.night}`))].map((k) => k.split(' ') as [string, string]);
        const closed = [];
        for (const [instrument, night] of nights) closed.push(await quickLook.closeNight({ instrument, night, actor: 'demo', timeoutMs }));
        const done = frames.filter((f) => f.state === 'DONE');
        const requests = await Promise.all(done.map((f) => store.getRequest(f.requestId!)));
        const runs = requests.flatMap((r) => (r?.startedAt !== undefined && r.finishedAt !== undefined ? [r.finishedAt - r.startedAt] : []));
        const archived = spread(frames.map((f) => f.archivedAt - f.completeAt));
        const quicklook = spread(done.map((f) => f.productArchivedAt! - f.completeAt));
        const processing = spread(done.map((f) => f.productArchivedAt! - f.archivedAt));
        const pipelineMs = spread(runs);
        return {
          frames: frames.length,
          done: done.length,
          failed: frames.filter((f) => f.state !== 'DONE').map((f) => ({ archiveId: f.archiveId, code: f.error?.code ?? f.state, message: f.error?.message ?? `still ${f.state}` })),
          waited: frames.filter((f) => f.waitedFor !== undefined).length,
          latencyMs: { ...(archived ? { archived } : {}), ...(quicklook ? { quicklook } : {}), ...(processing ? { processing } : {}) },
          ...(pipelineMs ? { pipelineMs } : {}),
          nights: closed.map((n) => ({ night: n.night, state: n.state, requests: n.requests ?? 0, products: n.products?.length ?? 0, failed: n.failed ?? 0, masters: [...new Set(Object.values(n.masters))] })),
          seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
        };
      } finally {
        await stop();
      }
    },
  };
}
