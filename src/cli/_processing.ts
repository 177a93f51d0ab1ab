/**
 * Opening the processing service for `calib`, `reprocess` and `requests`: the archive's ingestor (products are
 * archived into it), the SQLite processing store (in the catalog's own file for a `sqlite:` catalog, else
 * `--processing-store FILE`), the pipeline (the shipped example unless `--pipeline` names another), and the areas.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createSqliteProcessingStore } from '../adapters/processing-stores/sqlite.js';
import { createMailNotifier } from '../adapters/notifiers/mail.js';
import type { Notifier } from '../core/ports/notifier.js';
import { createCommandProcessor } from '../adapters/processors/command.js';
import { IngestError } from '../core/errors.js';
import { areasUnder } from '../processing/areas.js';
import { createProcessingService, type ProcessingService } from '../processing/service.js';
import { ingestorFromOptions } from './_run-ingestor.js';
import { defaultCatalogSpec } from './_setup.js';

/** Options every processing command takes. */
export interface ProcessingCliOptions {
  archive: string;
  catalog?: string;
  processingStore?: string;
  pipeline?: string;
  pipelineName?: string;
  pipelineVersion?: string;
  areas?: string;
  areaRoot?: string;
  timeout?: string;
  json?: boolean;
  areaPrefix?: string;
  notifySmtp?: string;
  mailFrom?: string;
  filesUrl?: string;
}

/** Adds the shared options. */
export function processingOptions(command: Command): Command {
  return command
    .requiredOption('--archive <dir>', 'archive root (products are archived into it)')
    .option('--catalog <spec>', 'catalog (default: sqlite:<archive>/catalog.sqlite)')
    .option('--processing-store <file>', 'SQLite file of calibration sets and requests (default: the sqlite catalog file)')
    .option('--pipeline <command>', 'pipeline command; the manifest path is appended (default: the example imager_reduce.py with /usr/bin/python3)')
    .option('--pipeline-name <name>', 'pipeline name for provenance and the cache', 'imager_reduce')
    .option('--pipeline-version <v>', 'pipeline version for provenance and the cache', '1.0')
    .option('--areas <n>', 'processing areas (one job each at a time)', '2')
    .option('--area-root <dir>', 'where the areas are (default: <archive>/.processing)')
    .option('--timeout <seconds>', 'kill a pipeline run after this long', '600')
    .option('--area-prefix <name>', 'area names are <prefix>1, <prefix>2…; schedulers sharing a store need distinct names', 'area-')
    .option('--notify-smtp <host:port>', 'mail each requester (an e-mail address) when their request(s) finish, through this SMTP server')
    .option('--mail-from <address>', 'sender of those mails', 'fits-ingest@localhost')
    .option('--files-url <url>', 'base URL of the archive\'s HTTP API, for the product links in those mails (default: archived paths)')
    .option('--json', 'JSON output');
}

/** The example pipeline shipped with fits-ingest (examples/pipelines/imager_reduce.py), found above this module. */
export function examplePipelinePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'examples', 'pipelines', 'imager_reduce.py');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new IngestError('INVALID_OPTIONS', 'the example pipeline examples/pipelines/imager_reduce.py is not installed', { hint: 'name your pipeline with --pipeline "COMMAND"' });
}

/** Opens everything; `close` stops the service and closes the ports. */
export async function openProcessing(options: ProcessingCliOptions, instruments?: import('../core/instruments/schema.js').InstrumentDescription[]): Promise<{ service: ProcessingService; close(): Promise<void> }> {
  const archive = resolve(options.archive);
  const catalogSpec = options.catalog ?? defaultCatalogSpec(archive);
  const storePath = options.processingStore ?? (catalogSpec.startsWith('sqlite:') ? catalogSpec.slice('sqlite:'.length) : undefined);
  if (!storePath) throw new IngestError('INVALID_OPTIONS', 'a non-SQLite catalog needs --processing-store FILE for calibration sets and requests', { context: { field: 'processing-store' } });
  const { ingestor } = await ingestorFromOptions({ archive, catalog: catalogSpec }, { stability: { quietMs: 0, settleMs: 0 }, ...(instruments ? { instruments } : {}) });
  await ingestor.start();
  const store = createSqliteProcessingStore({ path: resolve(storePath) });
  await store.init();
  const command = options.pipeline ? ['/bin/sh', '-c', `${options.pipeline} "$1"`, 'sh'] : ['/usr/bin/python3', examplePipelinePath()];
  const processor = createCommandProcessor({ name: options.pipelineName ?? 'imager_reduce', version: options.pipelineVersion ?? '1.0', command, timeoutMs: Math.round(Number(options.timeout ?? 600) * 1000) });
  const count = Math.max(1, Number(options.areas ?? 2) | 0);
  const notifier = options.notifySmtp ? mailNotifier(options.notifySmtp, options.mailFrom ?? 'fits-ingest@localhost') : undefined;
  const root = resolve(options.areaRoot ?? join(archive, '.processing'));
  const service = createProcessingService({
    store, ingestor, processor, areas: areasUnder(root, count, options.areaPrefix), outbox: join(root, 'outbox'), pollMs: 100,
    ...(notifier ? { delivery: { notifier, ...(options.filesUrl ? { filesUrl: options.filesUrl } : {}) } } : {}),
  });
  return {
    service,
    async close() {
      await service.stop();
      await notifier?.close?.();
      await store.close();
      await ingestor.stop();
      await ingestor.catalog.close();
    },
  };
}

function mailNotifier(spec: string, from: string): Notifier {
  const m = /^(.+):(\d+)$/.exec(spec);
  if (!m) throw new IngestError('INVALID_OPTIONS', `--notify-smtp ${JSON.stringify(spec)} is not HOST:PORT`, { context: { field: 'notify-smtp' } });
  return createMailNotifier({ transport: { host: m[1]!, port: Number(m[2]), pool: false }, from });
}

/** `2026-11-20T06:00:00Z` or `2026-11-20` → epoch ms, or a usage error naming the option. */
export function parseTime(value: string, option: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(t)) throw new IngestError('INVALID_OPTIONS', `${option} ${JSON.stringify(value)} is not a date or ISO date-time`, { context: { field: option } });
  return t;
}
