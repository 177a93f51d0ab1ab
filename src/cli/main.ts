#!/usr/bin/env node
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runCli } from './program.js';

if (!isMainThread && (workerData as { fitsIngestWorker?: string } | null)?.fitsIngestWorker === 'ingest') {
  // A worker thread of `fits-ingest ingest --workers N`.
  const { runIngestWorker } = await import('./_ingest-batch.js');
  await runIngestWorker(workerData, (message) => parentPort!.postMessage(message));
} else {
  // `fits-ingest … | head`: a reader that stops early is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
  process.exitCode = await runCli(process.argv.slice(2));
}
