/**
 * `--scrub-rate` of `watch` and `serve`: the scrub running in the background of an ingestor, pass after pass at
 * the given rate, waiting whenever ingestion has work, its problems written to stderr (see docs/scrub.md).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Ingestor } from '../core/runtime/engine.js';
import type { CliIo } from './_output.js';

/** Adds `--scrub-rate <rate>` to a command. */
export function scrubRateOption(command: Command): Command {
  return command.option('--scrub-rate <rate>', 're-verify every archived copy in the background at this rate (e.g. 50MB/s), pausing while files are ingested; see fits-ingest scrub');
}

/** A scrub running beside the ingestor. */
export interface BackgroundScrub {
  /** Stops it (after the copy being read) and waits for it. */
  stop(): Promise<void>;
}

/** Starts the background scrub when `rate` is given; undefined otherwise. A bad rate throws INVALID_OPTIONS. */
export async function startBackgroundScrub(ingestor: Ingestor, archive: string, rate: string | undefined, io: CliIo, command: string): Promise<BackgroundScrub | undefined> {
  if (rate === undefined) return undefined;
  const { scrub, fileCursor, parseRate, SCRUB_CURSOR_FILE } = await import('../scrub/index.js');
  const bytesPerSecond = parseRate(rate, 'scrub-rate');
  const controller = new AbortController();
  const running = scrub({
    catalog: ingestor.catalog,
    archive,
    rate: bytesPerSecond,
    continuous: true,
    cursor: fileCursor(join(archive, SCRUB_CURSOR_FILE)),
    isBusy: () => {
      const load = ingestor.load();
      return load.running + load.queued > 0;
    },
    signal: controller.signal,
    onProblem: (p) => io.stderr.write(`fits-ingest ${command}: scrub: ${p.lost ? 'LOST' : p.problem} ${p.archiveId ?? '-'} ${p.uri}: ${p.detail}\n`),
  }).catch((error: unknown) => {
    if (!controller.signal.aborted) io.stderr.write(`fits-ingest ${command}: scrub stopped: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}
