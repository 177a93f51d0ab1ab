/**
 * `fits-ingest night close`: closes an instrument's night (docs/processing.md#closing-a-night): rebuilds its
 * masters from every calibration it holds, runs the full reduction of each frame a `night-close` rule takes as one
 * batch through the pipeline in this process, and releases the batch. Idempotent: a closed night is reported as
 * it is; a close interrupted by a crash continues where it stopped.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { openProcessing, processingOptions, type ProcessingCliOptions } from '../_processing.js';

type CloseOptions = ProcessingCliOptions & { instrument: string; night: string; rules: string; instruments?: string[]; actor?: string };

export function registerNightCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const night = program.command('night').description('close an observing night: masters, the level-2 batch, its release');
  processingOptions(night.command('close'))
    .description("rebuild the night's masters, reduce every frame a night-close rule takes (one batch, level 2), release the batch")
    .requiredOption('--instrument <name>', 'instrument, e.g. KCWI')
    .requiredOption('--night <YYYY-MM-DD>', 'the night')
    .requiredOption('--rules <file>', 'the processing-rules file ({ INSTRUMENT: [rules] }), as given to watch --quicklook')
    .option('--instruments <path...>', 'extra instrument descriptions (JSON/YAML files or directories)')
    .option('--actor <name>', 'who closes it (default: your user name)')
    .addHelpText('after', '\nExample:\n  fits-ingest night close --archive /archive --instrument KCWI --night 2026-11-20 --rules examples/pipelines/kcwi-quicklook.yaml')
    .action(async (options: CloseOptions) => {
      let opened: Awaited<ReturnType<typeof openProcessing>> | undefined;
      try {
        const { loadProcessingRules } = await import('../../instruments/load.js');
        const { loadInstruments } = await import('../_setup.js');
        const { createQuickLook } = await import('../../processing/quicklook.js');
        opened = await openProcessing(options, await loadProcessingRules(resolve(options.rules), await loadInstruments(options.instruments)));
        await opened.service.start();
        const quickLook = createQuickLook({ service: opened.service });
        const actor = options.actor ? `operator:${options.actor}` : `operator:${userInfo().username}`;
        const closed = await quickLook.closeNight({ instrument: options.instrument, night: options.night, actor });
        if (options.json) printJsonLine(io, closed);
        else io.stdout.write(`${closed.instrument} ${closed.night} CLOSED: ${closed.requests ?? 0} request(s), ${closed.products?.length ?? 0} level-2 product(s), ${closed.failed ?? 0} failed; batch ${closed.batch ?? '-'}; masters ${[...new Set(Object.values(closed.masters))].join(', ') || '-'}\n`);
        setExit(closed.failed ? EXIT_CHECK_FAILED : EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest night close: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      } finally {
        await opened?.close();
      }
    });
}
