/**
 * `fits-ingest catalog migrate` (bring a catalog's schema up to date, showing from which version to which) and
 * `fits-ingest catalog copy --from sqlite:FILE --to postgres://…` (move an archive's catalog to PostgreSQL, verified).
 * Connection strings are shown with their password replaced by `***`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import type { CatalogLocation } from '../../adapters/catalogs/schema-version.js';

/** The location a `--catalog` spec names (sqlite:FILE, postgres://…, postgres:). */
function locationOf(spec: string, option: string): CatalogLocation {
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) return { kind: 'sqlite', path: resolve(spec.slice('sqlite:'.length)) };
  if (/^postgres(ql)?:/.test(spec)) return { kind: 'postgres', connectionString: /^postgres(ql)?:$/.test(spec) ? undefined : spec };
  throw new IngestError('INVALID_OPTIONS', `${option}: expected sqlite:FILE, postgres://USER@HOST/DATABASE or postgres: (PG* variables)`, { context: { field: option.replace(/^--/, '') } });
}

export function registerCatalogAdminCommands(catalogCommand: Command, io: CliIo, setExit: (code: number) => void): void {
  catalogCommand
    .command('migrate')
    .description('bring the catalog schema up to date (what opening it does anyway), and print the version before and after')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .option('--instruments <path...>', 'extra instrument descriptions whose keyword tables the catalog should have')
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nExample:\n  fits-ingest catalog migrate --catalog postgres://ingest@db.example.org/fits')
    .action(async (options: { catalog: string; instruments?: string[]; json?: boolean }) => {
      try {
        const { redact } = await import('../../adapters/_shared/redact.js');
        const { migrationsBetween, schemaVersionOf } = await import('../../adapters/catalogs/schema-version.js');
        const { withCatalog } = await import('../_with-catalog.js');
        const location = locationOf(options.catalog, '--catalog');
        if (location.kind === 'sqlite' && !existsSync(location.path)) {
          throw new IngestError('FILE_NOT_FOUND', `${location.path}: no such catalog file`, { context: { file: location.path } });
        }
        const before = await schemaVersionOf(location);
        await withCatalog(options.catalog, async () => undefined, options.instruments);
        const after = await schemaVersionOf(location);
        const shown = redact(options.catalog);
        const applied = migrationsBetween(location.kind, before.version, after.version);
        if (options.json) printJsonLine(io, { catalog: shown, from: before.version, to: after.version, applied });
        else io.stdout.write(`${shown}: schema version ${before.version} -> ${after.version} (${applied} migration(s) applied)\n`);
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest catalog migrate: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });

  catalogCommand
    .command('copy')
    .description('copy a SQLite catalog into PostgreSQL (records, history, archived files, locations, keywords, instruments), then verify it')
    .requiredOption('--from <spec>', 'the catalog to copy: sqlite:FILE')
    .requiredOption('--to <spec>', 'the PostgreSQL catalog to fill: postgres://USER@HOST/DATABASE, or postgres: (PG* variables)')
    .option('--replace', 'empty a target that already holds records first (in the same transaction as the copy)')
    .option('--instruments <path...>', 'extra instrument descriptions (keyword tables the source has but did not store)')
    .option('--json', 'one JSON object')
    .addHelpText(
      'after',
      '\nThe target is created (schema, keyword tables) if needed; a target holding records is refused unless --replace.\n' +
        'The copy is one transaction; it is then verified by the row count of every table and the archive id, SHA-256,\n' +
        'size and source SHA-256 of every archived file. Exit 0: copied and verified; 2: refused or failed (nothing copied).\n\n' +
        'Example:\n  PGPASSWORD=… fits-ingest catalog copy --from sqlite:/archive/catalog.sqlite --to postgres://ingest@db.example.org/fits',
    )
    .action(async (options: { from: string; to: string; replace?: boolean; instruments?: string[]; json?: boolean }) => {
      try {
        const { redact } = await import('../../adapters/_shared/redact.js');
        const { copySqliteToPostgres } = await import('../../adapters/catalogs/copy-to-postgres.js');
        const { withCatalog } = await import('../_with-catalog.js');
        const from = locationOf(options.from, '--from');
        const to = locationOf(options.to, '--to');
        if (from.kind !== 'sqlite') throw new IngestError('INVALID_OPTIONS', '--from: expected sqlite:FILE', { context: { field: 'from' } });
        if (to.kind !== 'postgres') throw new IngestError('INVALID_OPTIONS', '--to: expected postgres://USER@HOST/DATABASE or postgres:', { context: { field: 'to' } });
        if (!existsSync(from.path)) throw new IngestError('FILE_NOT_FOUND', `${from.path}: no such catalog file`, { context: { file: from.path } });
        // Open both with fits-ingest first: the source at the latest schema, the target's tables and keyword tables made.
        const instruments = await withCatalog(options.from, async (_source, known) => known, options.instruments);
        const { openCatalog } = await import('../_setup.js');
        const target = openCatalog(options.to, instruments);
        await target.init();
        await target.close();
        const report = await copySqliteToPostgres({ sqlitePath: from.path, connectionString: to.connectionString, replace: options.replace === true });
        const shown = redact(options.to);
        if (options.json) printJsonLine(io, { from: from.path, to: shown, tables: report.tables, verifiedFiles: report.verifiedFiles });
        else {
          io.stdout.write(`copied ${from.path} -> ${shown}\n`);
          for (const { table, rows } of report.tables) io.stdout.write(`  ${table.padEnd(24)} ${rows}\n`);
          io.stdout.write(`verified: equal row counts in ${report.tables.length} tables, equal sums for ${report.verifiedFiles} archived files\n`);
        }
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest catalog copy: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
