/** `fits-ingest history`: every state change of a file, by record id or archive id. */
import type { Command } from 'commander';
import { EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { recordsOf } from '../_operator.js';
import { withCatalog } from '../_with-catalog.js';

export function registerHistoryCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('history')
    .description('the history of a file: each state change with its time, cause, actor and error (by record id or archive id)')
    .argument('<id>', 'a record id, or an archive id (every record of it, newest first: reingests and their superseded versions)')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .option('--json', 'one JSON object per record and line, with its history')
    .addHelpText('after', '\nExample:\n  fits-ingest history KB.20261120.30615.05 --catalog sqlite:/archive/catalog.sqlite')
    .action(async (id: string, options: { catalog: string; json?: boolean }) => {
      try {
        await withCatalog(options.catalog, async (catalog) => {
          for (const record of await recordsOf(catalog, id)) {
            const history = await catalog.history(record.id);
            if (options.json) {
              printJsonLine(io, {
                recordId: record.id,
                archiveId: record.archiveId ?? null,
                state: record.state,
                source: record.source,
                history: history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
              });
              continue;
            }
            io.stdout.write(`record ${record.id}  ${record.state}  ${record.archiveId ?? '(no archive id)'}  ${record.source}\n`);
            for (const h of history) {
              const detail = [h.code, h.message].filter(Boolean).join(': ');
              io.stdout.write(`  ${new Date(h.at).toISOString()}  ${(h.from ?? '-').padEnd(12)} → ${h.to.padEnd(12)} ${h.cause.padEnd(18)} ${h.actor}${detail ? `  ${detail}` : ''}\n`);
            }
          }
        });
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest history: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
