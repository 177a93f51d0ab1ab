/**
 * `fits-ingest versions list|prune`: the versions a reingest left under an archive id, and the one explicit,
 * admin-only way to remove an old version's bytes (never reachable over HTTP).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { withCatalog } from '../_with-catalog.js';

export function registerVersionsCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const versions = program.command('versions').description('versions of an archived file kept by reingests (list, prune)');

  versions
    .command('list')
    .description('every version archived under an archive id, oldest first, with its state and locations')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .requiredOption('--archive-id <id>', 'the archive id')
    .option('--json', 'one JSON object per version')
    .action(async (options: { catalog: string; archiveId: string; json?: boolean }) => {
      try {
        const { listVersions } = await import('../../adapters/transports/prune-versions.js');
        await withCatalog(options.catalog, async (catalog) => {
          const files = await listVersions(catalog, options.archiveId);
          for (const [i, file] of files.entries()) {
            const record = await catalog.getRecord(file.recordId);
            const line = { version: i + 1, archiveId: file.archiveId, recordId: file.recordId, state: record?.state ?? null, sha256: file.sha256, archivedAt: new Date(file.archivedAt).toISOString(), locations: file.locations.map((l) => l.uri) };
            if (options.json) printJsonLine(io, line);
            else io.stdout.write(`v${line.version}  ${String(line.state).padEnd(10)}  ${line.archivedAt}  ${line.sha256.slice(0, 16)}…  ${line.locations.join(' ') || '(pruned)'}\n`);
          }
          if (files.length === 0) io.stderr.write(`fits-ingest versions list: no archived file ${options.archiveId}\n`);
          setExit(files.length === 0 ? EXIT_USAGE : EXIT_OK);
        });
      } catch (error) {
        io.stderr.write(`fits-ingest versions list: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });

  versions
    .command('prune')
    .description('remove the bytes of one superseded version for good (admin only; recorded in its history)')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .requiredOption('--archive-id <id>', 'the archive id')
    .requiredOption('-n, --number <n>', 'which version (1 = the oldest; see versions list); never the current one')
    .option('--yes', 'confirm: without it nothing is removed')
    .option('--actor <name>', 'who prunes, for the history (default admin:<user>)')
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nExample:\n  fits-ingest versions prune --catalog sqlite:/archive/catalog.sqlite --archive-id KB.20261120.30615.05 --number 1 --yes')
    .action(async (options: { catalog: string; archiveId: string; number: string; yes?: boolean; actor?: string; json?: boolean }) => {
      try {
        const { pruneVersion } = await import('../../adapters/transports/prune-versions.js');
        const actor = options.actor ?? `admin:${userInfo().username}`;
        await withCatalog(options.catalog, async (catalog) => {
          const pruned = await pruneVersion({ catalog, archiveId: options.archiveId, version: Number(options.number), confirm: options.yes === true, actor });
          if (options.json) printJsonLine(io, pruned);
          else io.stdout.write(`PRUNED     ${pruned.archiveId} v${pruned.version}  ${pruned.removed.join(' ') || '(no copy was left)'}\n`);
        });
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest versions prune: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
