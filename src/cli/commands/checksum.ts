/** `fits-ingest checksum verify|write`: FITS CHECKSUM/DATASUM of files. */
import type { Command } from 'commander';
import { isIngestError } from '../../core/errors.js';
import { classifyViolation } from '../../core/fits/conformance.js';
import type { HduChecksumReport } from '../../core/checksum/hdu-checksums.js';
import { verifyFile } from '../../io/checksum-file.js';
import { writeChecksums } from '../../io/checksum-write.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';

function verifyLine(file: string, h: HduChecksumReport): string {
  const z = h.zdatasum !== undefined ? `  ZDATASUM ${h.zdatasum}${h.zhecksum ? ` ZHECKSUM ${h.zhecksum}` : ''}` : '';
  return `${file}  HDU ${h.hdu}  ${h.type}  DATASUM ${h.datasum} ${h.datasumStatus.toUpperCase()}  CHECKSUM ${h.checksumStatus.toUpperCase()}${z}`;
}

export function registerChecksumCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const checksum = program.command('checksum').description('verify or write FITS CHECKSUM/DATASUM keywords');

  checksum
    .command('verify')
    .description('check DATASUM and CHECKSUM of every HDU and the 2880-byte fill of every unit (exit 0 all valid, 1 missing or failing, 2 unreadable)')
    .argument('<file...>', 'FITS files')
    .option('--json', 'one JSON object per HDU and line: {file, hdu, datasum, datasumOk, checksumOk, …}')
    .option('--allow-trailing', 'accept bytes after the last HDU (reported as a warning)')
    .addHelpText(
      'after',
      '\nStatus per check: OK (matches), BAD (the bytes or keyword changed), MISSING (no keyword).\n' +
        'CHECKSUM is checked arithmetically, as CFITSIO does, so any valid encoding is accepted.\n\n' +
        'Examples:\n  fits-ingest checksum verify night/*.fits\n  fits-ingest checksum verify frame.fits --json',
    )
    .action(async (files: string[], options: { json?: boolean; allowTrailing?: boolean }) => {
      for (const file of files) {
        try {
          const result = await verifyFile(file, { allowTrailing: options.allowTrailing ?? false });
          for (const h of result.hdus) {
            if (options.json) {
              printJsonLine(io, {
                file,
                hdu: h.hdu,
                datasum: h.datasum,
                datasumOk: h.datasumStatus === 'ok',
                checksumOk: h.checksumStatus === 'ok',
                datasumStatus: h.datasumStatus,
                checksumStatus: h.checksumStatus,
                type: h.type,
                ...(h.zdatasum !== undefined ? { zdatasum: h.zdatasum } : {}),
                ...(h.zhecksum !== undefined ? { zhecksum: h.zhecksum } : {}),
              });
            } else io.stdout.write(`${verifyLine(file, h)}\n`);
          }
          for (const w of result.warnings) {
            const level = classifyViolation(w) === 'fill' ? 'error' : 'warning';
            const where = `${w.hdu !== undefined ? ` HDU ${w.hdu}` : ''}${w.offset !== undefined ? ` byte offset ${w.offset}` : ''}`;
            io.stderr.write(`fits-ingest checksum verify: ${file}:${where}: ${level} ${w.code}: ${w.message}\n`);
          }
          setExit(result.ok ? EXIT_OK : EXIT_CHECK_FAILED);
        } catch (error) {
          if (options.json) printJsonLine(io, { file, error: isIngestError(error) ? error.code : 'ERROR', message: errorLine(error) });
          io.stderr.write(`fits-ingest checksum verify: ${errorLine(error)}\n`);
          setExit(EXIT_USAGE);
        }
      }
    });

  checksum
    .command('write')
    .description('add or refresh DATASUM and CHECKSUM in every HDU, in place (atomic: journal, or temp file + rename)')
    .argument('<file...>', 'FITS files')
    .option('--json', 'one JSON object per file and line')
    .option('--allow-trailing', 'accept (and keep) bytes after the last HDU')
    .addHelpText('after', '\nExample:\n  fits-ingest checksum write frame.fits && fits-ingest checksum verify frame.fits')
    .action(async (files: string[], options: { json?: boolean; allowTrailing?: boolean }) => {
      for (const file of files) {
        try {
          const result = await writeChecksums(file, { allowTrailing: options.allowTrailing ?? false });
          if (options.json) printJsonLine(io, result);
          else {
            const sums = result.hdus.map((h) => `HDU ${h.hdu} DATASUM ${h.datasum} CHECKSUM ${h.checksum}`).join('; ');
            io.stdout.write(`${file}  ${result.mode}  ${sums}\n`);
          }
        } catch (error) {
          io.stderr.write(`fits-ingest checksum write: ${errorLine(error)}\n`);
          setExit(EXIT_USAGE);
        }
      }
    });
}
