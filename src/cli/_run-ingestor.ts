/** Building an ingestor from the options `ingest`, `watch` and `demo` share (loaded only when a command runs). */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createFilesystemTransport } from '../adapters/transports/filesystem.js';
import type { Trigger } from '../core/ports/trigger.js';
import type { Ingestor } from '../core/runtime/engine.js';
import { builtinInstrument } from '../instruments/builtin/index.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';
import { createIngestor, type IngestorOptions } from '../ingestor.js';
import type { IngestCliOptions } from './_ingest-options.js';
import { defaultCatalogSpec, loadInstruments, openCatalog, pickInstrument } from './_setup.js';

/** Creates the ingestor the options describe (not started). */
export async function ingestorFromOptions(
  options: IngestCliOptions,
  extra: Partial<IngestorOptions> & { triggers?: Trigger[] } = {},
): Promise<{ ingestor: Ingestor; forced: InstrumentDescription | undefined; archive: string }> {
  const archive = resolve(options.archive);
  mkdirSync(archive, { recursive: true });
  const instruments = await loadInstruments(options.instruments);
  const forced = pickInstrument(instruments, options.instrument);
  const generic = builtinInstrument('generic');
  const fallback = options.generic || forced?.name === generic.name ? generic : undefined;
  const lease = Number(options.lease);
  const catalog = openCatalog(options.catalog ?? defaultCatalogSpec(archive), fallback ? [...instruments, fallback] : instruments, {
    ...(Number.isFinite(lease) && lease > 0 ? { leaseMs: Math.max(100, Math.round(lease * 1000)) } : {}),
  });
  const concurrency = Number(options.concurrency ?? 4);
  const stepTimeout = Number(options.stepTimeout);
  const ingestor = createIngestor({
    instruments,
    ...(fallback ? { fallbackInstrument: fallback } : {}),
    catalog,
    transports: [createFilesystemTransport({ root: archive })],
    // Each process sharing a catalog has its own staging directory (it is cleaned at start).
    staging: resolve(options.staging ?? join(archive, options.owner ? `.staging-${options.owner}` : '.staging')),
    ...(options.owner ? { owner: options.owner } : {}),
    concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 4,
    ...(Number.isFinite(stepTimeout) && stepTimeout > 0 ? { stepTimeoutMs: Math.max(1, Math.round(stepTimeout * 1000)) } : {}),
    ...extra,
  });
  return { ingestor, forced, archive };
}

export { ingestOptions, outcome, printOutcome, type IngestCliOptions } from './_ingest-options.js';
