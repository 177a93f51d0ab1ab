/**
 * `fits-ingest pull`: copy a program's files from an archive's ingest server as they are archived (Keck RTUI's
 * "stream all"), verified, resumed after a broken connection or a restart, each file once.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { checkNight } from '../../core/normalize/night.js';
import { EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';

interface PullCliOptions {
  from: string;
  program: string;
  night?: string[];
  to: string;
  follow?: boolean;
  interval: string;
  token?: string;
  ca?: string;
  json?: boolean;
}

export function registerPullCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('pull')
    .description("copy a program's files from an archive's ingest server as they are archived: verified, resumed, each file once")
    .requiredOption('--from <url>', 'the ingest server, e.g. https://archive.example.org:8443')
    .requiredOption('--program <id>', 'program id (PROGID)')
    .requiredOption('--to <dir>', 'local directory: files go to <dir>/<night>/<archive-id>.fits; <dir>/.fits-pull.json remembers what arrived')
    .option('--night <date...>', 'nights to pull (default: yesterday and today, UT, recomputed as time passes)')
    .option('--follow', 'keep polling for new files until stopped (SIGINT/SIGTERM)')
    .option('--interval <s>', 'seconds between polls with --follow', '2')
    .option('--token <token>', 'bearer token of the program (default: $FITS_INGEST_TOKEN)')
    .option('--ca <file>', 'CA certificate (PEM) to trust for an https server')
    .option('--json', 'one JSON object per file and line')
    .addHelpText('after', '\nExample:\n  fits-ingest pull --from https://archive.example.org:8443 --program K123 --to ~/k123 --follow')
    .action(async (options: PullCliOptions) => {
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.on('SIGINT', stop).on('SIGTERM', stop);
      try {
        if (!/^https?:\/\//.test(options.from)) throw new IngestError('INVALID_OPTIONS', `--from ${JSON.stringify(options.from)}: an http:// or https:// URL`, { context: { field: 'from' } });
        const interval = Number(options.interval);
        if (!Number.isFinite(interval) || interval <= 0) throw new IngestError('INVALID_OPTIONS', '--interval: a number of seconds', { context: { field: 'interval' } });
        const token = options.token ?? process.env['FITS_INGEST_TOKEN'];
        const { pullFiles } = await import('../../adapters/http/pull.js');
        await pullFiles({
          url: options.from,
          program: options.program,
          dir: resolve(options.to),
          ...(token ? { token } : {}),
          ...(options.night ? { nights: options.night.map((n) => checkNight(n, '--night')) } : {}),
          ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
          follow: options.follow === true,
          intervalMs: interval * 1000,
          signal: controller.signal,
          onFile: (f) => (options.json ? printJsonLine(io, f) : io.stdout.write(`PULLED     ${f.archiveId}  ${f.path}  ${f.size} bytes  sha256 ${f.sha256}\n`)),
          onRetry: (what, error) => io.stderr.write(`fits-ingest pull: ${what}: ${error.message}; retrying\n`),
        });
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest pull: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
      }
    });
}
