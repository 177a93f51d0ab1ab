/** `fits-ingest foreign wrap|unwrap`: non-FITS files (logs, weather tables, notes) as FITS FOREIGN objects. */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { isIngestError } from '../../core/errors.js';
import { ATTACHMENT_KINDS, type AttachmentKind } from '../../core/fits/foreign-attachment.js';
import { unwrapForeignFile, wrapForeignFile, type WrapForeignOptions } from '../../io/foreign-file.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { checkNight } from '../../core/normalize/night.js';

interface WrapCliOptions {
  out: string;
  kind: AttachmentKind;
  night?: string;
  dateObs?: string;
  program?: string;
  text?: boolean;
  force?: boolean;
  json?: boolean;
}

interface UnwrapCliOptions {
  to: string;
  force?: boolean;
  keepMode?: boolean;
  json?: boolean;
}

/** Exit code for a failed file: its bytes are bad (1), or the call or the environment is (2). */
function failureCode(error: unknown): number {
  return isIngestError(error) && error.kind === 'invalid' ? EXIT_CHECK_FAILED : EXIT_USAGE;
}

function reportFailure(io: CliIo, command: string, file: string, error: unknown, json: boolean | undefined): void {
  if (json) printJsonLine(io, { file, ok: false, error: isIngestError(error) ? error.code : 'ERROR', message: errorLine(error) });
  io.stderr.write(`fits-ingest foreign ${command}: ${errorLine(error)}\n`);
}

export function registerForeignCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const foreign = program
    .command('foreign')
    .description('wrap non-FITS files (logs, weather tables, notes, PDFs) as FITS FOREIGN objects, and restore them');

  foreign
    .command('wrap')
    .description('wrap each file as <out>/<name>.fits: an ATTACHMENT primary header and a FOREIGN extension, with checksums')
    .argument('<file...>', 'files to wrap')
    .requiredOption('--out <dir>', 'directory for the FITS files (created if missing)')
    .addOption(new Option('--kind <kind>', 'what the files are').choices([...ATTACHMENT_KINDS]).default('other'))
    .option('--night <YYYY-MM-DD>', 'the night (UT date) the files belong to (DATE-OBS = that date, 00:00 UT)')
    .option('--date-obs <ISO>', 'DATE-OBS, UT YYYY-MM-DDThh:mm:ss (default: the file modification time)')
    .option('--program <id>', 'the program the files belong to (PROGID); leave out for the whole night')
    .option('--text', 'record FG_FTYPE = text (the bytes are stored unchanged either way)')
    .option('--force', 'replace existing FITS files of the same name')
    .option('--json', 'one JSON object per file and line: {file, fits, name, size, sha256, …}')
    .addHelpText(
      'after',
      '\nThe wrapped files follow the FITS Foreign File Encapsulation Convention (fitsverify-clean); ingest them like\n' +
        'frames: they are cataloged with instrument ATTACHMENT (see docs/foreign.md).\n\n' +
        'Examples:\n  fits-ingest foreign wrap weather.csv --kind weather --night 2026-11-20 --out incoming/\n' +
        '  fits-ingest foreign wrap notes.txt --kind notes --program K123 --date-obs 2026-11-20T15:30:00 --out incoming/',
    )
    .action(async (files: string[], options: WrapCliOptions) => {
      if (options.night !== undefined && options.dateObs !== undefined) {
        io.stderr.write('fits-ingest foreign wrap: give --night or --date-obs, not both\n');
        return setExit(EXIT_USAGE);
      }
      const out = resolve(options.out);
      await mkdir(out, { recursive: true });
      const wrapOptions: WrapForeignOptions = { kind: options.kind, overwrite: options.force ?? false, type: options.text ? 'text' : 'binary' };
      if (options.night !== undefined) wrapOptions.night = checkNight(options.night, '--night');
      if (options.dateObs !== undefined) wrapOptions.dateObs = options.dateObs;
      if (options.program !== undefined) wrapOptions.program = options.program;
      for (const file of files) {
        try {
          const wrapped = await wrapForeignFile(file, out, wrapOptions);
          const { name, size } = wrapped.file;
          if (options.json) {
            printJsonLine(io, { file, ok: true, fits: wrapped.path, name, size, sha256: wrapped.sha256, fitsSize: wrapped.fitsSize, ...wrapped.attachment });
          } else io.stdout.write(`${file} → ${wrapped.path}  ${size} bytes  ${wrapped.attachment.kind}  DATE-OBS ${wrapped.attachment.dateObs}\n`);
          setExit(EXIT_OK);
        } catch (error) {
          reportFailure(io, 'wrap', file, error, options.json);
          setExit(failureCode(error));
        }
      }
    });

  foreign
    .command('unwrap')
    .description('restore the file wrapped in each FITS file into a directory, after verifying DATASUM and CHECKSUM')
    .argument('<fits...>', 'FITS files with a FOREIGN extension')
    .requiredOption('--to <dir>', 'directory to restore into (created if missing); files keep their recorded name')
    .option('--force', 'replace existing files of the same name')
    .option('--no-keep-mode', 'do not restore the recorded permissions (files get rw-r--r--)')
    .option('--json', 'one JSON object per file and line: {fits, file, name, size, sha256, …}')
    .addHelpText(
      'after',
      '\nExit status: 0 all restored, 1 a file is damaged or not a wrapper (nothing is written for it),\n' +
        '2 usage or environment error (e.g. a file of that name exists; use --force).\n\n' +
        'Example:\n  fits-ingest foreign unwrap archive/ATTACHMENT/*/lev0/*.fits --to restored/',
    )
    .action(async (files: string[], options: UnwrapCliOptions) => {
      const to = resolve(options.to);
      await mkdir(to, { recursive: true });
      for (const fits of files) {
        try {
          const back = await unwrapForeignFile(fits, to, { overwrite: options.force ?? false, restoreMode: options.keepMode !== false });
          if (options.json) {
            printJsonLine(io, { fits, ok: true, file: back.path, name: back.file.name, size: back.file.size, sha256: back.sha256, ...(back.attachment ?? {}) });
          } else io.stdout.write(`${fits} → ${back.path}  ${back.file.size} bytes\n`);
          setExit(EXIT_OK);
        } catch (error) {
          reportFailure(io, 'unwrap', fits, error, options.json);
          setExit(failureCode(error));
        }
      }
    });
}
