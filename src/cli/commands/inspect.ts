/** `fits-ingest header` and `fits-ingest hdus`: look inside a FITS file. */
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { formatCard } from '../../core/fits/card-format.js';
import type { HduInfo } from '../../core/fits/hdu-stream.js';
import { walkFile } from '../../io/fits-file.js';
import { EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, toJson, type CliIo } from '../_output.js';

function describeHdu(file: string, hdu: HduInfo) {
  const extname = hdu.header.get('EXTNAME');
  return {
    file,
    hdu: hdu.index,
    type: hdu.layout.kind,
    ...(hdu.layout.xtension !== undefined ? { xtension: hdu.layout.xtension } : {}),
    ...(typeof extname === 'string' ? { extname } : {}),
    compressed: hdu.layout.compressed,
    bitpix: hdu.layout.bitpix,
    axes: hdu.layout.axes,
    headerOffset: hdu.headerOffset,
    headerSize: hdu.headerSize,
    dataOffset: hdu.dataOffset,
    dataSize: hdu.layout.dataSize,
  };
}

export function registerInspectCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('header')
    .description('print the header of one HDU (card images, or JSON with --json)')
    .argument('<file>', 'FITS file')
    .option('--hdu <n>', 'HDU index, 0 = primary', '0')
    .option('--json', 'print an ordered JSON list of {keyword, value, comment}')
    .addHelpText('after', '\nExamples:\n  fits-ingest header frame.fits\n  fits-ingest header frame.fits --hdu 1 --json')
    .action(async (file: string, options: { hdu: string; json?: boolean }) => {
      const index = Number(options.hdu);
      if (!Number.isInteger(index) || index < 0) {
        io.stderr.write(`fits-ingest header: --hdu must be a non-negative integer, got ${options.hdu}\n`);
        return setExit(EXIT_USAGE);
      }
      try {
        const { hdus } = await walkFile(file, { stopAfterHdu: index });
        const hdu = hdus[index];
        if (!hdu) {
          throw new IngestError('NO_SUCH_HDU', `the file has ${hdus.length} HDU(s); there is no HDU ${index}`, {
            context: { file },
          });
        }
        if (options.json) io.stdout.write(`${toJson(hdu.header.toJSON())}\n`);
        else {
          for (const card of hdu.header) {
            const image = formatCard(card);
            for (let i = 0; i < image.length; i += 80) io.stdout.write(`${image.slice(i, i + 80).trimEnd()}\n`);
          }
          io.stdout.write('END\n');
        }
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest header: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });

  program
    .command('hdus')
    .description('list the HDUs of FITS files: type, header offset, data offset and data size')
    .argument('<file...>', 'FITS files')
    .option('--json', 'one JSON object per HDU and line')
    .option('--allow-trailing', 'accept bytes after the last HDU (reported as a warning)')
    .addHelpText('after', '\nExample:\n  fits-ingest hdus frame.fits --json')
    .action(async (files: string[], options: { json?: boolean; allowTrailing?: boolean }) => {
      let exit = EXIT_OK;
      for (const file of files) {
        try {
          const structure = await walkFile(file, { allowTrailing: options.allowTrailing ?? false });
          for (const hdu of structure.hdus) {
            const row = describeHdu(file, hdu);
            if (options.json) printJsonLine(io, row);
            else {
              const name = row.extname ? ` ${row.extname}` : '';
              const dims = row.axes.length ? ` ${row.axes.join('×')}` : '';
              io.stdout.write(
                `${file}  HDU ${row.hdu}  ${row.type}${name}  BITPIX ${row.bitpix}${dims}  header@${row.headerOffset} (${row.headerSize} B)  data@${row.dataOffset} (${row.dataSize} B)\n`,
              );
            }
          }
          for (const warning of structure.warnings) {
            io.stderr.write(`fits-ingest hdus: ${file}: warning ${warning.code}: ${warning.message}\n`);
          }
        } catch (error) {
          io.stderr.write(`fits-ingest hdus: ${errorLine(error)}\n`);
          exit = EXIT_USAGE;
        }
      }
      setExit(exit);
    });
}
