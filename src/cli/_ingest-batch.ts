/**
 * One-shot ingestion of a list of files, by one engine, or by several engines on worker threads that share the
 * catalog (`fits-ingest ingest --workers N`): each takes every N-th file, with its own staging directory. The
 * catalog and transports are built for sharing (claims, version checks, unique indexes, idempotent transfers), so
 * engines never archive a file twice.
 */
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { IngestError } from '../core/errors.js';
import type { FileRecord } from '../core/lifecycle/record.js';
import type { IngestCliOptions } from './_ingest-options.js';

/** Ingests `files` with one engine and returns their records once all are final, in the order given. */
export async function ingestBatch(files: readonly string[], options: IngestCliOptions, owner?: string): Promise<FileRecord[]> {
  const { ingestorFromOptions } = await import('./_run-ingestor.js');
  const { ingestor } = await ingestorFromOptions(options, {
    retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 },
    stability: { quietMs: 0, settleMs: 0 },
    ...(owner ? { owner } : {}),
  });
  try {
    await ingestor.start();
    const ids: string[] = [];
    for (const file of files) {
      const { record } = await ingestor.submit({
        path: file,
        trigger: 'cli',
        detectedAt: Date.now(),
        complete: true,
        ...(options.instrument ? { instrument: options.instrument } : {}),
      });
      ids.push(record.id);
    }
    return await ingestor.settled(ids);
  } finally {
    await ingestor.stop();
    await ingestor.catalog.close();
  }
}

/** What a worker thread is given. */
export interface IngestWorkerData {
  fitsIngestWorker: 'ingest';
  files: string[];
  options: IngestCliOptions;
  /** Claims name each worker: workers sharing a catalog must not hold each other's leases. */
  owner: string;
}

/** Runs in a worker thread started by {@link ingestOnWorkers}. */
export async function runIngestWorker(data: IngestWorkerData, post: (records: FileRecord[]) => void): Promise<void> {
  post(await ingestBatch(data.files, data.options, data.owner));
}

/**
 * Ingests `files` with `workers` engines on worker threads. The worker threads run this CLI's own entry script
 * (it recognizes them), so this needs the built CLI (`dist/cli/main.js`), not an in-process call.
 */
export async function ingestOnWorkers(files: readonly string[], options: IngestCliOptions, workers: number): Promise<FileRecord[]> {
  const script = process.argv[1];
  if (script === undefined || !/main\.[cm]?js$/.test(script)) {
    throw new IngestError('UNSUPPORTED_OPERATION', '--workers needs the fits-ingest command (dist/cli/main.js), not an embedded call');
  }
  const archive = resolve(options.archive);
  const staging = resolve(options.staging ?? join(archive, '.staging'));
  const shares = Array.from({ length: workers }, (_, w) => files.filter((_, i) => i % workers === w));
  const results = await Promise.all(
    shares.map(
      (share, w) =>
        new Promise<FileRecord[]>((done, fail) => {
          const workerData: IngestWorkerData = {
            fitsIngestWorker: 'ingest',
            files: share,
            options: { ...options, archive, staging: join(staging, `worker-${w}`) },
            owner: `ingest-worker-${w}`,
          };
          const worker = new Worker(script, { workerData });
          let records: FileRecord[] | undefined;
          worker.on('message', (message: FileRecord[]) => (records = message));
          worker.on('error', fail);
          worker.on('exit', (code) => (records ? done(records) : fail(new IngestError('INTERNAL', `ingest worker ${w} exited with code ${code}`))));
        }),
    ),
  );
  const byPath = new Map(results.flat().map((r) => [r.source, r]));
  return files.map((file) => byPath.get(file)!);
}
