/**
 * The end of `fits-ingest demo`: the night's biases and flats are certified as a calibration set, and program
 * K123's science frames are reprocessed through the example pipeline (examples/pipelines/imager_reduce.py) in two
 * processing areas; the products are archived at level 2 next to their raw frames.
 */
import { join } from 'node:path';
import { createSqliteProcessingStore } from '../adapters/processing-stores/sqlite.js';
import { createCommandProcessor } from '../adapters/processors/command.js';
import type { Ingestor } from '../core/runtime/engine.js';
import { observedAt } from '../processing/inputs.js';
import { areasUnder } from '../processing/areas.js';
import { createProcessingService } from '../processing/service.js';
import { examplePipelinePath } from './_processing.js';

/** What the demo reports. */
export interface DemoReprocessing {
  calibrationSet: string;
  requests: number;
  done: number;
  failed: { id: string; code: string; message: string }[];
  products: string[];
  seconds: number;
}

/** Certifies the night's calibrations and reprocesses program K123; resolves once every request is finished. */
export async function reprocessProgram(ingestor: Ingestor, archive: string, root: string, program = 'K123'): Promise<DemoReprocessing> {
  const started = Date.now();
  const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
  await store.init();
  const processor = createCommandProcessor({ name: 'imager_reduce', version: '1.0', command: ['/usr/bin/python3', examplePipelinePath()], timeoutMs: 120_000 });
  const service = createProcessingService({ store, ingestor, processor, areas: areasUnder(join(root, 'processing'), 2), outbox: join(root, 'processing', 'outbox'), pollMs: 100 });
  try {
    const raw = await ingestor.catalog.findArchived({ instrument: 'KCWI', level: 0, limit: 100_000 });
    const calibrations = raw.filter((f) => f.imageType === 'bias' || f.imageType === 'flatlamp');
    const first = Math.min(...raw.map((f) => observedAt(ingestor.instruments, f)));
    const { set } = await service.certify({
      instrument: 'KCWI', kind: 'imaging', from: first - 3_600_000, actor: 'demo',
      files: calibrations.map((f) => ({ role: f.imageType === 'bias' ? 'bias' : 'flat', archiveId: f.archiveId })),
    });
    await service.start();
    const requests = await service.submit({ program, requester: 'demo' });
    const final = await service.settled(requests.map((r) => r.id), { timeoutMs: 600_000 });
    return {
      calibrationSet: set.id,
      requests: final.length,
      done: final.filter((r) => r.state === 'DONE').length,
      failed: final.filter((r) => r.state !== 'DONE').map((r) => ({ id: r.id, code: r.error?.code ?? r.state, message: r.error?.message ?? '' })),
      products: final.flatMap((r) => r.products),
      seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    };
  } finally {
    await service.stop({ abort: true });
    await store.close();
  }
}
