/** `fits-ingest ingest` (one shot) and `fits-ingest watch` (continuous). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { scrubRateOption } from '../_background-scrub.js';
import { mediaFollowOptions, type MediaFollowCliOptions } from '../_media-follow.js';
import { ingestOptions, printOutcome, type IngestCliOptions } from '../_ingest-options.js';
import { quickLookOptions, type QuickLookCliOptions } from '../_quicklook-options.js';
import type { RunningQuickLook } from '../_quicklook.js';
import { httpTransportFromOptions, sendOptions, type SendCliOptions } from './http.js';
import { KIND_TEXT, scan } from '../_scan-paths.js';

export function registerIngestCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  ingestOptions(
    program
      .command('ingest')
      .description('archive files now: validate, normalize, checksum, copy, verify, catalog (exit 1 if any ends INVALID or ABANDONED)')
      .argument('<path...>', 'FITS files, or directories to scan for *.fits'),
  )
    .addHelpText(
      'after',
      '\nOne line per file as it ends, with its final state (ARCHIVED, INVALID, DUPLICATE, ABANDONED), archive id and error code;\n' +
        'a file already archived from the same path with the same bytes is reported ARCHIVED (already) without a new record;\n' +
        'symbolic links, FIFOs and other special files with a FITS name in a scanned folder are reported SKIPPED (exit 1).\n' +
        'Exit 0: all archived (or duplicates); 1: some file INVALID, ABANDONED or SKIPPED; 2: usage error, or the catalog\n' +
        'could not be written (ENGINE_HALTED: unfinished files resume at the next run).\n\n' +
        'Examples:\n  fits-ingest ingest /data/kcwi/2026nov20 --archive /archive\n  fits-ingest ingest frame.fits --archive /archive --json',
    )
    .option('--workers <n>', 'ingest with this many engines on worker threads, sharing the catalog (uses more cores)', '1')
    .option('--quiet <ms>', "a file is read once its size and mtime stayed unchanged this long (and every HDU is whole), as watch does", '1000')
    .option('--assume-complete', 'skip the quiet wait: the files are known to be closed (a file still being written would be archived as it is then)')
    .action(async (paths: string[], options: IngestCliOptions & { workers: string }) => {
      try {
        const workers = Number(options.workers);
        if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
          io.stderr.write(`fits-ingest ingest: --workers must be an integer from 1 to 64, got ${options.workers}\n`);
          return setExit(EXIT_USAGE);
        }
        const { files, skipped } = await scan(paths);
        for (const entry of skipped) {
          if (options.json) printJsonLine(io, { file: entry.path, state: 'SKIPPED', reason: entry.kind, message: KIND_TEXT[entry.kind] });
          else io.stdout.write(`${'SKIPPED'.padEnd(10)} ${entry.path}  ${KIND_TEXT[entry.kind]}\n`);
        }
        if (files.length === 0) {
          io.stderr.write('fits-ingest ingest: no FITS files found in the paths given\n');
          return setExit(skipped.length > 0 ? EXIT_CHECK_FAILED : EXIT_USAGE);
        }
        const quiet = Number(options.quiet);
        if (!Number.isInteger(quiet) || quiet < 0) {
          io.stderr.write(`fits-ingest ingest: --quiet must be a whole number of milliseconds, got ${options.quiet}\n`);
          return setExit(EXIT_USAGE);
        }
        const stepTimeout = Number(options.stepTimeout ?? 1800);
        if (!Number.isFinite(stepTimeout) || stepTimeout <= 0) {
          io.stderr.write(`fits-ingest ingest: --step-timeout must be a positive number of seconds, got ${options.stepTimeout}\n`);
          return setExit(EXIT_USAGE);
        }
        const { ingestBatch, ingestOnWorkers } = await import('../_ingest-batch.js');
        let bad = skipped.length > 0;
        const onDone = ({ record, already }: { record: FileRecord; already?: boolean }): void => {
          printOutcome(io, record, options.json, already);
          if (record.state === 'INVALID' || record.state === 'ABANDONED') bad = true;
        };
        if (workers === 1) await ingestBatch(files, options, { onDone });
        else await ingestOnWorkers(files, options, workers, onDone);
        setExit(bad ? EXIT_CHECK_FAILED : EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest ingest: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });

  quickLookOptions(mediaFollowOptions(scrubRateOption(sendOptions(
    ingestOptions(
      program
        .command('watch')
        .description('watch folders and archive each new file as soon as it is completely written (stop with Ctrl-C)')
        .argument('<dir...>', 'folders to watch (files already there are ingested too)'),
    ),
    false,
  ))))
    .option('--poll', 'poll the folders instead of using file-system events (NFS)')
    .option('--no-existing', 'ignore files already in the folders at start')
    .addHelpText(
      'after',
      '\nSIGINT/SIGTERM stop gracefully: files being processed are finished, the rest resume at the next start.\n' +
        'A second signal aborts the files in progress (they resume from their last recorded state).\n\n' +
        'With --to, files are normalized here and shipped over HTTP to that ingest server, which keeps their archive ids\n' +
        'and bytes; --archive then holds only the local catalog and staging.\n\n' +
        'Examples:\n  fits-ingest watch /data/kcwi/incoming --archive /archive --json\n' +
        '  fits-ingest watch /data/kcwi/incoming --archive /var/lib/fits-ingest --to https://archive.example.org:8443',
    )
    .action(async (dirs: string[], options: IngestCliOptions & SendCliOptions & MediaFollowCliOptions & QuickLookCliOptions & { poll?: boolean; existing?: boolean; scrubRate?: string }) => {
      let ingestor;
      let background: import('../_background-scrub.js').BackgroundScrub | undefined;
      let media: import('../_media-follow.js').MediaFollow | undefined;
      let quick: RunningQuickLook | undefined;
      try {
        const { createFilesystemTrigger } = await import('../../adapters/triggers/filesystem.js');
        const { ingestorFromOptions } = await import('../_run-ingestor.js');
        const trigger = createFilesystemTrigger({
          paths: dirs.map((d) => resolve(d)),
          usePolling: options.poll ?? false,
          scanExisting: options.existing ?? true,
          ...(options.instrument ? { instrument: options.instrument } : {}),
        });
        const remote = await httpTransportFromOptions(options);
        const { quickLookInstruments, startQuickLook } = await import('../_quicklook.js');
        const withRules = await quickLookInstruments(options);
        ({ ingestor } = await ingestorFromOptions(options, { triggers: [trigger], ...(remote ? { transports: [remote] } : {}), ...(withRules ? { instruments: withRules } : {}) }));
        const done = (record: FileRecord): void => printOutcome(io, record, options.json);
        ingestor.on('archived', done).on('invalid', done).on('abandoned', done).on('duplicate', done);
        ingestor.on('alert', (a) => io.stderr.write(`fits-ingest watch: ${a.trigger}: ${a.code}: ${a.message}\n`));
        ingestor.on('failed', (r) => io.stderr.write(`fits-ingest watch: ${r.source}: ${r.error?.code} (attempt ${r.attempts}, retrying)\n`));
        let exit = EXIT_OK;
        const stopped = new Promise<void>((resolveStop) => {
          // The catalog cannot be written (full, read-only disk): say so and end, rather than retry forever.
          ingestor!.on('halted', (error: IngestError) => {
            io.stderr.write(`fits-ingest watch: ${error.message}\n`);
            exit = EXIT_USAGE;
            resolveStop();
          });
          let signals = 0;
          const onSignal = (signal: string): void => {
            signals++;
            io.stderr.write(`fits-ingest watch: ${signal}: ${signals === 1 ? 'finishing files in progress…' : 'aborting files in progress'}\n`);
            void ingestor!.stop({ abort: signals > 1 }).then(() => resolveStop());
          };
          process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
        });
        await ingestor.start();
        if (options.quicklook !== undefined) quick = await startQuickLook(ingestor, options, io, 'watch');
        const { startBackgroundScrub } = await import('../_background-scrub.js');
        background = await startBackgroundScrub(ingestor, resolve(options.archive), options.scrubRate, io, 'watch');
        media = await (await import('../_media-follow.js')).startMediaFollow(ingestor, options, io, 'watch', resolve(options.archive));
        io.stderr.write(`fits-ingest watch: watching ${dirs.join(', ')}\n`);
        await stopped;
        setExit(exit);
      } catch (error) {
        io.stderr.write(`fits-ingest watch: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      } finally {
        await background?.stop();
        await media?.stop();
        await quick?.stop();
        await ingestor?.stop();
        await ingestor?.catalog.close();
      }
    });
}
