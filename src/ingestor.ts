/**
 * `createIngestor`: the ingestion engine with this machine's defaults filled in (Node.js file access, the system
 * clock). See {@link createEngine} for everything it does.
 *
 * @module
 */
import { createEngine, type EngineOptions, type Ingestor } from './core/runtime/engine.js';
import { nodeFiles } from './io/node-files.js';
import { systemClock } from './io/system-clock.js';

/** Options of {@link createIngestor}: those of {@link createEngine}, with `files` and `clock` optional. */
export type IngestorOptions = Omit<EngineOptions, 'files' | 'clock'> & Partial<Pick<EngineOptions, 'files' | 'clock'>>;

/**
 * Creates an ingestor on this machine.
 *
 * @example
 * ```ts
 * import { createIngestor, builtinInstruments } from 'fits-ingest'
 * import { createSqliteCatalog } from 'fits-ingest/catalogs/sqlite'
 * import { createFilesystemTrigger } from 'fits-ingest/triggers/filesystem'
 * import { createFilesystemTransport } from 'fits-ingest/transports/filesystem'
 *
 * const ingestor = createIngestor({
 *   instruments: builtinInstruments(),
 *   catalog: createSqliteCatalog({ path: '/data/archive/catalog.sqlite' }),
 *   triggers: [createFilesystemTrigger({ paths: ['/data/incoming'] })],
 *   transports: [createFilesystemTransport({ root: '/data/archive' })],
 *   staging: '/data/staging',
 * })
 * ingestor.on('archived', (record) => console.log(record.archiveId))
 * await ingestor.start()
 * ```
 */
export function createIngestor(options: IngestorOptions): Ingestor {
  return createEngine({ ...options, files: options.files ?? nodeFiles(), clock: options.clock ?? systemClock });
}
