/**
 * `fits-ingest requeue`: an operator sends a file that ended INVALID, ABANDONED, DUPLICATE or FAILED back to the
 * start (REQUEUE in its history, with the operator as actor), then ingests it — or, with `--no-run`, leaves it for
 * the ingestor already running on the catalog (`watch`, `serve`) to take.
 */
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { transition } from '../../core/lifecycle/transition.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { ingestOptions, printOutcome, type IngestCliOptions } from '../_ingest-options.js';
import { operatorActor, recordsOf } from '../_operator.js';

interface RequeueOptions extends IngestCliOptions {
  run: boolean;
  actor?: string;
}

export function registerRequeueCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  ingestOptions(
    program
      .command('requeue')
      .description('send files that ended INVALID, ABANDONED, DUPLICATE or FAILED back to the start, recorded in their history, and ingest them again')
      .argument('<id...>', 'record ids, or archive ids (the newest record of each)'),
  )
    .option('--no-run', 'only record the requeue: the ingestor running on this catalog (watch, serve) takes the files')
    .option('--actor <name>', 'who requeues, recorded as operator:<name> (default: your login name)')
    .addHelpText('after', '\nExample:\n  fits-ingest requeue 19fd0e17-7ffd-41a4-a4f7-c793d09d8630 --archive /archive')
    .action(async (ids: string[], options: RequeueOptions) => {
      const actor = operatorActor(options.actor);
      try {
        const { ingestorFromOptions } = await import('../_run-ingestor.js');
        const { ingestor } = await ingestorFromOptions(options);
        const catalog = ingestor.catalog;
        await catalog.init();
        try {
          const records = [];
          for (const id of ids) records.push((await recordsOf(catalog, id))[0]!);
          for (const record of records) {
            if (record.state === 'ARCHIVED' || record.state === 'SUPERSEDED') {
              throw new IngestError('ILLEGAL_TRANSITION', `${record.archiveId ?? record.id} is ${record.state}: use fits-ingest reingest to replace an archived file`, {
                context: { recordId: record.id, state: record.state },
              });
            }
          }
          if (!options.run) {
            for (const record of records) {
              const result = transition(record, { type: 'REQUEUE', actor }, Date.now());
              await catalog.updateRecord(result.record, result.entry);
              if (options.json) printJsonLine(io, { recordId: record.id, state: result.record.state, requeued: true, actor });
              else io.stdout.write(`REQUEUED   ${record.source}  ${record.id}  (by ${actor}; the running ingestor takes it)\n`);
            }
            setExit(EXIT_OK);
            return;
          }
          await ingestor.start();
          try {
            for (const record of records) await ingestor.requeue(record.id, actor);
            const done = await ingestor.settled(records.map((r) => r.id));
            for (const record of done) printOutcome(io, record, options.json);
            setExit(done.every((r) => r.state === 'ARCHIVED' || r.state === 'DUPLICATE') ? EXIT_OK : EXIT_CHECK_FAILED);
          } finally {
            await ingestor.stop();
          }
        } finally {
          await catalog.close();
        }
      } catch (error) {
        io.stderr.write(`fits-ingest requeue: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
