/**
 * `fits-ingest reingest`: an operator archives a file again under its archive id; the version it replaces stays
 * (SUPERSEDED, its bytes kept: `fits-ingest versions list`). Takes paths, or archive ids (the file is read again
 * from its original source, or from the archived copy when the source is gone).
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import type { Catalog } from '../../core/ports/catalog.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, type CliIo } from '../_output.js';
import { ingestOptions, printOutcome, type IngestCliOptions } from '../_ingest-options.js';
import { operatorActor } from '../_operator.js';

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);

/** The file to read for `target`: a path as given, else the source (or archived copy) of an archive id. */
async function pathOf(catalog: Catalog, target: string): Promise<string> {
  if (await isFile(target)) return target;
  const archived = await catalog.getArchived(target);
  if (!archived) {
    throw new IngestError('FILE_NOT_FOUND', `${target} is neither a file nor an archive id the catalog knows`, { context: { file: target } });
  }
  const { reingestSource } = await import('../../io/archived-copy.js');
  const path = await reingestSource(archived);
  if (path) return path;
  throw new IngestError('FILE_NOT_FOUND', `neither the source ${archived.source} nor any archived copy of ${target} is readable here`, {
    context: { file: archived.source, archiveId: target },
  });
}

export function registerReingestCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  ingestOptions(
    program
      .command('reingest')
      .description('archive files again under their archive ids; the versions they replace are kept (SUPERSEDED)')
      .argument('<file-or-archive-id...>', 'FITS files, or archive ids (read again from their source, or from the archived copy)'),
  )
    .option('--actor <name>', 'who reingests, recorded as operator:<name> (default: your login name)')
    .addHelpText('after', '\nExample:\n  fits-ingest reingest KB.20261120.30615.05 --archive /archive')
    .action(async (targets: string[], options: IngestCliOptions & { actor?: string }) => {
      const actor = operatorActor(options.actor);
      try {
        const { ingestorFromOptions } = await import('../_run-ingestor.js');
        const { ingestor } = await ingestorFromOptions(options);
        await ingestor.start();
        try {
          const ids: string[] = [];
          for (const target of targets) ids.push((await ingestor.reingest(await pathOf(ingestor.catalog, target), actor)).record.id);
          const done = await ingestor.settled(ids);
          for (const record of done) printOutcome(io, record, options.json);
          setExit(done.every((r) => r.state === 'ARCHIVED') ? EXIT_OK : EXIT_CHECK_FAILED);
        } finally {
          await ingestor.stop();
          await ingestor.catalog.close();
        }
      } catch (error) {
        io.stderr.write(`fits-ingest reingest: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
