/** The options of `--quicklook` (`watch`, `serve`), kept apart so registering commands loads no processing code. */
import type { Command } from 'commander';

/** The options `--quicklook` brings. */
export interface QuickLookCliOptions {
  archive: string;
  catalog?: string;
  instruments?: string[];
  quicklook?: string;
  processingStore?: string;
  pipeline?: string;
  pipelineName?: string;
  pipelineVersion?: string;
  processingAreas?: string;
  lateAfter?: string;
  closeAfter?: string;
}

/** Adds `--quicklook` and what goes with it. */
export function quickLookOptions(command: Command): Command {
  return command
    .option('--quicklook <rules>', 'run quick-look on arrival with this processing-rules file ({ INSTRUMENT: [rules] }, docs/processing.md)')
    .option('--processing-store <file>', 'with --quicklook: SQLite file of requests and quick-look state (default: the sqlite catalog file)')
    .option('--pipeline <command>', 'with --quicklook: pipeline command; the manifest path is appended (default: the example imager_reduce.py)')
    .option('--pipeline-name <name>', 'with --quicklook: the processor name the rules name', 'imager_reduce')
    .option('--pipeline-version <v>', 'with --quicklook: pipeline version for provenance and the cache', '1.0')
    .option('--processing-areas <n>', 'with --quicklook: pipeline runs at once', '2')
    .option('--late-after <seconds>', 'with --quicklook: alert when a quick-look is not archived this long after its file was complete', '300')
    .option('--close-after <hours>', "with --quicklook: close each night on its own this many hours after its date's 00:00 UT (e.g. 22: local noon in Hawaii)");
}

