/**
 * One-shot ingestion of a list of files, by one engine, or by several engines on worker threads that share the
 * catalog (`fits-ingest ingest --workers N`): each takes every N-th file, with its own staging directory. The
 * catalog and transports are built for sharing (claims, version checks, unique indexes, idempotent transfers), so
 * engines never archive a file twice.
 *
 * Files get the same completeness check as `watch` (size and mtime quiet for `--quiet` ms, every HDU whole) unless
 * `--assume-complete`; a file already archived from the same path with the same SHA-256 is reported as such without
 * a new record; each outcome is handed to `onDone` as soon as the file ends (so `--json` streams).
 */
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { IngestError, isIngestError } from '../core/errors.js';
import type { FileRecord } from '../core/lifecycle/record.js';
import { isFinal } from '../core/lifecycle/states.js';
import type { IngestCliOptions } from './_ingest-options.js';

/** A file's outcome: its final record, `already` when it was archived from this path by an earlier run. */
export interface BatchOutcome {
  record: FileRecord;
  already?: boolean;
}

/** How a batch reports. */
export interface BatchHooks {
  /** Claims name: workers sharing a catalog must not hold each other's leases. */
  owner?: string;
  /** Called once per file, as soon as it ends. */
  onDone?: (outcome: BatchOutcome) => void;
}

/** Submissions in flight at once (each a catalog insert waiting for a flush it shares with the others). */
const SUBMIT_AHEAD = 8;

/**
 * Most files submitted and not yet final. Without a bound every file of the list became a queued record within
 * seconds, and memory grew with the number of files; with it, memory is flat however long the list.
 */
const MAX_OPEN = 64;

/** The default quiet time of `ingest` (ms): as long as `watch` waits. */
export const INGEST_QUIET_MS = 1000;

/**
 * Ingests `files` with one engine and returns their outcomes once all are final, in the order given.
 *
 * @throws IngestError ENGINE_HALTED when the catalog cannot be written (its cause says why, e.g. CATALOG_FULL);
 * the outcomes of files that ended before were passed to `onDone`.
 */
export async function ingestBatch(files: readonly string[], options: IngestCliOptions, hooks: BatchHooks = {}): Promise<BatchOutcome[]> {
  const { ingestorFromOptions } = await import('./_run-ingestor.js');
  const quietMs = Number(options.quiet ?? INGEST_QUIET_MS);
  const assume = options.assumeComplete === true;
  const { ingestor } = await ingestorFromOptions(options, {
    retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 },
    // A file that stays incomplete 3 quiet periods after its last change is INVALID with its structural code.
    stability: assume ? { quietMs: 0, settleMs: 0 } : { quietMs, pollMs: Math.max(10, Math.min(250, quietMs)), settleMs: quietMs * 3 },
    ...(hooks.owner ? { owner: hooks.owner } : {}),
  });
  const outcomes = new Map<string, BatchOutcome>();
  const finish = (outcome: BatchOutcome): void => {
    if (outcomes.has(outcome.record.source) || !wanted.has(outcome.record.source)) return;
    outcomes.set(outcome.record.source, outcome);
    hooks.onDone?.(outcome);
  };
  const wanted = new Set(files);
  const ids = new Set<string>();
  // Records submitted and not yet final; ids that ended before their submit returned wait in `early`.
  const open = new Set<string>();
  const early = new Set<string>();
  let lanes: (() => void)[] = [];
  let stopped = false;
  const wakeLanes = (): void => {
    const woken = lanes;
    lanes = [];
    for (const wake of woken) wake();
  };
  const ended = (id: string): void => {
    open.delete(id);
    wakeLanes();
  };
  const onFinal = (record: FileRecord): void => {
    if (ids.has(record.id)) finish({ record });
    if (open.has(record.id)) ended(record.id);
    else if (wanted.has(record.source) && !ids.has(record.id)) early.add(record.id);
  };
  ingestor.on('archived', onFinal).on('invalid', onFinal).on('abandoned', onFinal).on('duplicate', onFinal);
  ingestor.on('error', () => {}); // unexpected errors are retried, and a persistent one halts the engine
  ingestor.on('halted', () => {
    stopped = true; // waiting lanes go on, and their next submit or settled() reports ENGINE_HALTED
    wakeLanes();
  });
  try {
    await ingestor.start();
    // Several submissions at once, so that their new records share the catalog's flushes (group commit); in
    // order of the list, a bounded number ahead.
    const submit = async (file: string): Promise<void> => {
      const { record, alreadyArchived } = await ingestor.submit({
        path: file,
        trigger: 'cli',
        detectedAt: Date.now(),
        ...(assume ? { complete: true } : {}),
        ...(options.instrument ? { instrument: options.instrument } : {}),
      });
      if (alreadyArchived) finish({ record, already: true });
      else {
        ids.add(record.id);
        if (early.delete(record.id)) finish({ record: (await ingestor.catalog.getRecord(record.id)) ?? record });
        else open.add(record.id);
      }
    };
    // A record another host (or an earlier run's engine) works on ends without an event here: while the window is
    // full, ask the catalog every half second which open records have ended, so the lanes never wait for good.
    let pruning: Promise<void> | undefined;
    const prune = (): Promise<void> =>
      (pruning ??= (async () => {
        for (const id of [...open]) {
          const record = await ingestor.catalog.getRecord(id);
          if (record && isFinal(record.state)) {
            finish({ record });
            ended(id);
          }
        }
      })().finally(() => (pruning = undefined)));
    const room = async (): Promise<void> => {
      while (open.size >= MAX_OPEN && !stopped) {
        let timer: NodeJS.Timeout | undefined;
        const woken = await new Promise<boolean>((resolve) => {
          lanes.push(() => resolve(true));
          timer = setTimeout(() => resolve(false), 500);
        });
        clearTimeout(timer);
        if (!woken) await prune();
      }
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < files.length) {
        await room();
        if (next < files.length) await submit(files[next++]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SUBMIT_AHEAD, files.length) }, lane));
    for (const record of await ingestor.settled([...ids])) finish({ record });
    return files.map((file) => outcomes.get(file)!);
  } catch (error) {
    if (isIngestError(error, 'ENGINE_HALTED')) {
      const left = files.filter((f) => !outcomes.has(f)).length;
      throw new IngestError('ENGINE_HALTED', `${error.detail} (${left} of ${files.length} files unfinished: they resume at the next run)`, {
        cause: error.cause,
        context: error.context,
      });
    }
    throw error;
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

/** What a worker thread posts: each outcome as it ends, then `end` (with the error that stopped it, if any). */
export type IngestWorkerMessage = { done: BatchOutcome } | { end: true; error?: string };

/** Runs in a worker thread started by {@link ingestOnWorkers}. */
export async function runIngestWorker(data: IngestWorkerData, post: (message: IngestWorkerMessage) => void): Promise<void> {
  try {
    await ingestBatch(data.files, data.options, { owner: data.owner, onDone: (done) => post({ done }) });
    post({ end: true });
  } catch (error) {
    post({ end: true, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Ingests `files` with `workers` engines on worker threads. The worker threads run this CLI's own entry script
 * (it recognizes them), so this needs the built CLI (`dist/cli/main.js`), not an in-process call.
 */
export async function ingestOnWorkers(files: readonly string[], options: IngestCliOptions, workers: number, onDone?: (outcome: BatchOutcome) => void): Promise<BatchOutcome[]> {
  const script = process.argv[1];
  if (script === undefined || !/main\.[cm]?js$/.test(script)) {
    throw new IngestError('UNSUPPORTED_OPERATION', '--workers needs the fits-ingest command (dist/cli/main.js), not an embedded call');
  }
  const archive = resolve(options.archive);
  const staging = resolve(options.staging ?? join(archive, options.owner ? `.staging-${options.owner}` : '.staging'));
  const shares = Array.from({ length: workers }, (_, w) => files.filter((_, i) => i % workers === w));
  const byPath = new Map<string, BatchOutcome>();
  const errors: string[] = [];
  await Promise.all(
    shares.map(
      (share, w) =>
        new Promise<void>((done, fail) => {
          const workerData: IngestWorkerData = {
            fitsIngestWorker: 'ingest',
            files: share,
            options: { ...options, archive, staging: join(staging, `worker-${w}`) },
            owner: `${options.owner ?? 'ingest'}-worker-${w}`, // distinct across hosts given distinct --owner
          };
          const worker = new Worker(script, { workerData });
          let ended = false;
          worker.on('message', (message: IngestWorkerMessage) => {
            if ('done' in message) {
              byPath.set(message.done.record.source, message.done);
              onDone?.(message.done);
            } else {
              ended = true;
              if (message.error) errors.push(`worker ${w}: ${message.error}`);
            }
          });
          worker.on('error', fail);
          worker.on('exit', (code) => (ended ? done() : fail(new IngestError('INTERNAL', `ingest worker ${w} exited with code ${code}`))));
        }),
    ),
  );
  if (errors.length > 0) throw new IngestError('ENGINE_HALTED', errors.join('; '));
  return files.map((file) => byPath.get(file)!);
}
