/**
 * The `fits-ingest` command line. `runCli(argv)` parses, runs one command and resolves to the exit code; it never
 * calls process.exit, so it can be tested in-process and embedded.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE, errorLine, type CliIo } from './_output.js';
import { registerChecksumCommands } from './commands/checksum.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDistributeCommand } from './commands/distribute.js';
import { registerForeignCommands } from './commands/foreign.js';
import { registerHttpCommands } from './commands/http.js';
import { registerIngestCommands } from './commands/ingest.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerMailCommands } from './commands/mail.js';
import { registerMediaCommands } from './commands/media.js';
import { registerScrubCommand } from './commands/scrub.js';
import { registerStatusCommands } from './commands/status.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerPullCommand } from './commands/pull.js';
import { registerReingestCommand } from './commands/reingest.js';
import { registerRequeueCommand } from './commands/requeue.js';
import { registerVersionsCommands } from './commands/versions.js';
import { VERSION } from '../core/version.js';
import { registerCalibCommands } from './commands/calib.js';
import { registerReprocessCommand } from './commands/reprocess.js';
import { registerRequestsCommands } from './commands/requests.js';
import { registerNightCommands } from './commands/night.js';

/** Runs the CLI with the given arguments (without `node` and the script name); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = process): Promise<number> {
  let exit = EXIT_OK;
  const setExit = (code: number): void => {
    exit = Math.max(exit, code);
  };
  const program = new Command('fits-ingest')
    .description('Move FITS files from the instrument to the archive, verified bit for bit.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerChecksumCommands(program, io, setExit);
  registerInspectCommands(program, io, setExit);
  registerIngestCommands(program, io, setExit);
  registerStatusCommands(program, io, setExit);
  registerVersionsCommands(program, io, setExit);
  registerDemoCommand(program, io, setExit);
  registerHttpCommands(program, io, setExit);
  registerMailCommands(program, io, setExit);
  registerForeignCommands(program, io, setExit);
  registerMediaCommands(program, io, setExit);
  registerDistributeCommand(program, io, setExit);
  registerScrubCommand(program, io, setExit);
  registerRequeueCommand(program, io, setExit);
  registerReingestCommand(program, io, setExit);
  registerHistoryCommand(program, io, setExit);
  registerPullCommand(program, io, setExit);
  registerCalibCommands(program, io, setExit);
  registerReprocessCommand(program, io, setExit);
  registerNightCommands(program, io, setExit);
  registerRequestsCommands(program, io, setExit);
  const output = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s) };
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput(output);
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    io.stderr.write(`fits-ingest: ${errorLine(error)}\n`);
    return EXIT_USAGE;
  }
}
