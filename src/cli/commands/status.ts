/** `fits-ingest status` and `fits-ingest catalog query`: what the catalog knows. */
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { STATES } from '../../core/lifecycle/states.js';
import type { FileQuery } from '../../core/ports/catalog.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import type { InstrumentDescription } from '../../core/instruments/schema.js';
import { instrumentByName } from '../../core/instruments/find-instrument.js';
import { checkNight } from '../../core/normalize/night.js';
import { registerCatalogAdminCommands } from './catalog-admin.js';
import { withCatalog } from '../_with-catalog.js';

export { parsePredicate } from '../../adapters/catalogs/predicate-text.js';
import { parsePredicate } from '../../adapters/catalogs/predicate-text.js';


/**
 * The instrument name a `--instrument` value means: a description's name or alias, case-insensitive.
 *
 * @throws IngestError INVALID_OPTIONS naming the known instruments when none matches (never an empty answer)
 */
export function resolveInstrumentName(name: string, instruments: readonly InstrumentDescription[]): string {
  const found = instrumentByName(instruments, name);
  if (!found) {
    throw new IngestError('INVALID_OPTIONS', `--instrument ${JSON.stringify(name)}: no such instrument or alias (known: ${instruments.map((d) => d.name).join(', ')})`, {
      context: { field: 'instrument' },
      hint: 'pass its description with --instruments, or ingest with it first (the catalog keeps the descriptions it was built with)',
    });
  }
  return found.name;
}

/** {@link fileQueryOf} with the instrument name resolved through names and aliases. */
export function resolvedFileQuery(options: FileQueryOptions, instruments: readonly InstrumentDescription[]): FileQuery {
  const query = fileQueryOf(options);
  if (options.instrument !== undefined) query.instrument = resolveInstrumentName(options.instrument, instruments);
  return query;
}

/** The filter options of `catalog query` (and of every command that selects archived files the same way). */
export interface FileQueryOptions {
  instrument?: string;
  program?: string;
  level?: string;
  from?: string;
  to?: string;
  archiveId?: string[];
  where?: string[];
  parent?: string;
  limit: string;
}

/** Adds the archived-file filters (instrument, program, level, nights, archive ids, where, limit) to a command. */
export function addFileQueryOptions(command: Command, limit: string): Command {
  return command
    .option('--instrument <name>', 'instrument name, e.g. KCWI')
    .option('--program <id>', 'program id (PROGID)')
    .option('--level <n>', 'processing level: 0 raw, 1 quick-look, 2 reduced')
    .option('--from <date>', 'first night, YYYY-MM-DD')
    .option('--to <date>', 'last night, YYYY-MM-DD')
    .option('--archive-id <id...>', 'archive ids')
    .option('--where <predicate...>', 'keyword-column predicates, e.g. "camera = BLUE" "xposure > 100" (needs --instrument)')
    .option('--parent <archiveId>', 'only products made from this raw frame')
    .option('--limit <n>', 'at most this many files', limit);
}

/** The catalog query the filter options describe. */
export function fileQueryOf(options: FileQueryOptions): FileQuery {
  const query: FileQuery = { limit: Number(options.limit) || 1000 };
  if (options.instrument) query.instrument = options.instrument.toUpperCase() === 'GENERIC' ? 'generic' : options.instrument.toUpperCase();
  if (options.program) query.program = options.program;
  if (options.level !== undefined) query.level = Number(options.level) as 0 | 1 | 2;
  if (options.from) query.nightFrom = checkNight(options.from, '--from');
  if (options.to) query.nightTo = checkNight(options.to, '--to');
  if (options.archiveId) query.archiveIds = options.archiveId;
  if (options.where) query.where = options.where.map(parsePredicate);
  if (options.parent) query.parent = options.parent;
  return query;
}

/** `--older-than`: a duration such as 15m, 2h, 900s or 500ms (a bare number is minutes). */
export function stuckThresholdMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new IngestError('INVALID_OPTIONS', `--older-than ${JSON.stringify(text)}: give a duration such as 15m, 2h or 900s`, { context: { field: 'older-than' } });
  return Math.round(Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'm') as 'm']);
}

export function registerStatusCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('status')
    .description('counts of files by state, and the most recent problems')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .option('--recent <n>', 'how many recent problems to list', '10')
    .option('--json', 'one JSON object')
    .option('--stuck', 'list the files in a non-final state unchanged for longer than --older-than (exit 1 if any)')
    .option('--older-than <duration>', 'with --stuck: e.g. 15m, 2h, 900s', '15m')
    .option('--processing-store <file>', 'where quick-look state is (default: the sqlite catalog file)')
    .option('--late-after <seconds>', 'a quick-look this long after its file was complete counts as late', '300')
    .addHelpText('after', '\nExamples:\n  fits-ingest status --catalog sqlite:/archive/catalog.sqlite\n  fits-ingest status --stuck --older-than 15m --catalog sqlite:/archive/catalog.sqlite')
    .action(async (options: { catalog: string; recent: string; json?: boolean; stuck?: boolean; olderThan: string; processingStore?: string; lateAfter: string }) => {
      try {
        if (options.stuck) {
          const ms = stuckThresholdMs(options.olderThan);
          const { stuckRecords } = await import('../../core/lifecycle/stuck.js');
          const stuck = await withCatalog(options.catalog, (catalog) => stuckRecords(catalog, Date.now(), ms));
          for (const r of stuck) {
            const row = { recordId: r.id, file: r.source, state: r.state, archiveId: r.archiveId ?? null, attempts: r.attempts, updatedAt: new Date(r.updatedAt).toISOString(), code: r.error?.code ?? null };
            if (options.json) printJsonLine(io, row);
            else io.stdout.write(`${row.updatedAt}  ${r.state.padEnd(12)} ${r.id}  ${r.archiveId ?? '-'}  ${r.source}${row.code ? `  ${row.code}` : ''}\n`);
          }
          if (!options.json) io.stderr.write(`${stuck.length} file(s) unchanged for more than ${options.olderThan} in a non-final state\n`);
          setExit(stuck.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK);
          return;
        }
        await withCatalog(options.catalog, async (catalog) => {
          const counts = await catalog.counts();
          const problems = await catalog.findRecords({ states: ['FAILED', 'INVALID', 'ABANDONED'], newestFirst: true, limit: Number(options.recent) || 10 });
          const { readQuickLookStatus, printQuickLookStatus } = await import('../_quicklook.js');
          const quicklook = await readQuickLookStatus({ catalog: options.catalog, ...(options.processingStore ? { processingStore: options.processingStore } : {}), lateAfterMs: (Number(options.lateAfter) || 300) * 1000 });
          if (options.json) {
            printJsonLine(io, {
              counts,
              ...(quicklook ? { quicklook } : {}),
              recentProblems: problems.map((r) => ({ file: r.source, state: r.state, code: r.error?.code, message: r.error?.message, attempts: r.attempts, updatedAt: new Date(r.updatedAt).toISOString() })),
            });
            return;
          }
          const width = Math.max(...STATES.map((s) => s.length));
          for (const state of STATES) io.stdout.write(`${state.padEnd(width)}  ${counts[state]}\n`);
          if (problems.length) io.stdout.write('\nrecent problems:\n');
          for (const r of problems) {
            io.stdout.write(`  ${new Date(r.updatedAt).toISOString()}  ${r.state.padEnd(9)} ${r.error?.code ?? ''}  ${r.source}\n`);
          }
          if (quicklook) printQuickLookStatus(io, quicklook);
        });
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest status: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });

  const catalogCommand = program.command('catalog').description('query the archive catalog');
  registerCatalogAdminCommands(catalogCommand, io, setExit);
  catalogCommand
    .command('instruments')
    .description('the instrument descriptions stored in the catalog (latest version of each, or every version)')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .option('--all-versions', 'every stored version, oldest first')
    .option('--json', 'one JSON object per description and line (with the description)')
    .addHelpText('after', '\nExample:\n  fits-ingest catalog instruments --catalog sqlite:/archive/catalog.sqlite')
    .action(async (options: { catalog: string; allVersions?: boolean; json?: boolean }) => {
      try {
        const { openCatalog } = await import('../_setup.js');
        // Opened without descriptions of its own, so it lists what earlier commands stored (and stores nothing new).
        const catalog = openCatalog(options.catalog, []);
        await catalog.init();
        try {
          const stored = (await catalog.storedInstruments?.({ allVersions: options.allVersions === true })) ?? [];
          for (const s of stored) {
            const d = s.description as { aliases?: string[]; keywordTable?: { column: string }[] };
            if (options.json) printJsonLine(io, { ...s, savedAt: new Date(s.savedAt).toISOString() });
            else {
              const aliases = d.aliases?.length ? `  aliases: ${d.aliases.join(', ')}` : '';
              io.stdout.write(`${s.name}  v${s.version}  ${new Date(s.savedAt).toISOString()}  columns: ${(d.keywordTable ?? []).map((c) => c.column).join(', ')}${aliases}\n`);
            }
          }
        } finally {
          await catalog.close();
        }
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest catalog instruments: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
  addFileQueryOptions(
    catalogCommand
      .command('query')
      .description('list archived files matching filters on instrument, program, night, level and keyword columns')
      .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE'),
    '1000',
  )
    .option('--instruments <path...>', 'extra instrument descriptions (files or directories); the catalog also knows those it was built with')
    .option('--json', 'one JSON object per file and line (with the keyword columns)')
    .addHelpText(
      'after',
      '\nExamples:\n  fits-ingest catalog query --catalog sqlite:/archive/catalog.sqlite --instrument KCWI --from 2026-11-20 --to 2026-11-21\n' +
        '  fits-ingest catalog query --catalog sqlite:cat.sqlite --instrument KCWI --where "koaimtyp = object" "xposure >= 300" --json',
    )
    .action(
      async (options: FileQueryOptions & { catalog: string; json?: boolean; instruments?: string[] }) => {
        try {
          fileQueryOf(options); // option errors before the catalog is opened
          await withCatalog(options.catalog, async (catalog, instruments) => {
            const files = await catalog.findArchived(resolvedFileQuery(options, instruments));
            for (const f of files) {
              if (options.json) {
                const { header: _header, ...row } = f;
                printJsonLine(io, row);
              } else {
                io.stdout.write(`${f.archiveId}  ${f.instrument}  ${f.night}  lev${f.level}  ${f.imageType ?? ''}  ${f.program ?? ''}  ${f.originalName}  ${f.locations[0]?.uri ?? ''}\n`);
              }
            }
          }, options.instruments);
          setExit(EXIT_OK);
        } catch (error) {
          io.stderr.write(`fits-ingest catalog query: ${errorLine(error)}\n`);
          setExit(EXIT_USAGE);
        }
      },
    );
}
