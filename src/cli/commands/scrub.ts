/**
 * `fits-ingest scrub`: re-verify every copy of every archived file (archive copies, other transports' copies,
 * media volume members), reconcile the storage with the catalog, and with `--repair` rebuild bad copies from good
 * ones. See docs/scrub.md.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import type { Notifier } from '../../core/ports/notifier.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { withCatalog } from '../_with-catalog.js';

interface ScrubCli {
  archive?: string;
  catalog?: string;
  rate?: string;
  for?: string;
  repair?: boolean;
  cursor?: string;
  coverage: string;
  alertWebhook?: string;
  json?: boolean;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

async function run(io: CliIo, options: ScrubCli): Promise<number> {
  const { scrub, fileCursor, memoryCursor, parseDuration, parseRate } = await import('../../scrub/index.js');
  const { defaultCatalogSpec } = await import('../_setup.js');
  if (options.archive === undefined && options.catalog === undefined) {
    throw new IngestError('INVALID_OPTIONS', 'give --archive DIR (the archive root, with its catalog) or --catalog SPEC', { context: { field: 'archive' } });
  }
  const archive = options.archive !== undefined ? resolve(options.archive) : undefined;
  const spec = options.catalog ?? defaultCatalogSpec(archive!);
  const cursorPath = options.cursor ?? (archive !== undefined ? join(archive, '.scrub-cursor.json') : undefined);
  const coverageDays = Number(options.coverage);
  if (!(coverageDays > 0)) throw new IngestError('INVALID_OPTIONS', `--coverage ${options.coverage}: expected a number of days`, { context: { field: 'coverage' } });
  const rate = options.rate !== undefined ? parseRate(options.rate) : undefined;
  const forMs = options.for !== undefined ? parseDuration(options.for) : undefined;
  const notifiers: Notifier[] = [];
  if (options.alertWebhook) {
    const { createWebhookNotifier } = await import('../../adapters/notifiers/webhook.js');
    notifiers.push(createWebhookNotifier({ url: options.alertWebhook }));
  }
  return withCatalog(spec, async (catalog) => {
    const report = await scrub({
      catalog,
      ...(archive !== undefined ? { archive } : {}),
      ...(rate !== undefined ? { rate } : {}),
      ...(forMs !== undefined ? { forMs } : {}),
      repair: options.repair === true,
      cursor: cursorPath !== undefined ? fileCursor(cursorPath) : memoryCursor(),
      coverageDays,
      notifiers,
      onProblem: (p) => {
        if (!options.json && p.lost) io.stderr.write(`fits-ingest scrub: LOST ${p.archiveId}: no good copy is left (${p.uri}: ${p.detail})\n`);
      },
    });
    const line = (p: (typeof report.problems)[number]) => ({ archiveId: p.archiveId, uri: p.uri, problem: p.problem, detail: p.detail, ...(p.lost ? { lost: true } : {}), ...(p.repaired ? { repaired: p.repaired } : {}), ...(p.offset !== undefined ? { offset: p.offset } : {}), ...(p.problem === 'UNCATALOGED' && p.recordId ? { recordId: p.recordId } : {}) });
    for (const p of [...report.repaired, ...report.problems]) {
      if (options.json) printJsonLine(io, line(p));
      else if (p.repaired) io.stdout.write(`REPAIRED     ${p.archiveId}  ${p.uri}  from ${p.repaired.from}${p.repaired.keptAside ? `  (bad bytes kept in ${p.repaired.keptAside})` : ''}\n`);
      else io.stdout.write(`${(p.lost ? 'LOST' : p.problem).padEnd(12)} ${p.archiveId ?? '-'}  ${p.uri}  ${p.detail}\n`);
    }
    const { coverage } = report;
    const summary = {
      ok: report.problems.length === 0,
      complete: report.complete,
      files: report.files,
      copies: report.copies,
      verified: report.verified,
      remote: report.remote,
      problems: report.problems.length,
      repaired: report.repaired.length,
      lost: report.lost,
      bytes: report.bytes,
      elapsedMs: report.elapsedMs,
      rate: report.elapsedMs > 0 ? Math.round((report.bytes / report.elapsedMs) * 1000) : 0,
      cursor: report.cursor,
      oldestVerifiedAt: coverage.oldestVerifiedAt === null ? null : new Date(coverage.oldestVerifiedAt).toISOString(),
      oldestUri: coverage.oldestUri,
      stale: coverage.stale,
      coverageDays: coverage.targetDays,
      neededRate: Math.ceil(coverage.neededRate),
    };
    if (options.json) printJsonLine(io, { summary: true, ...summary });
    else {
      io.stdout.write(
        `${summary.ok ? 'OK' : 'PROBLEMS'}: ${report.verified}/${report.copies} copies of ${report.files} files verified (${mb(report.bytes)} in ${(report.elapsedMs / 1000).toFixed(1)} s)` +
          `${report.complete ? '' : ', stopped before the end (the next run continues)'}; ${report.problems.length} problems, ${report.repaired.length} repaired` +
          `${report.remote ? `, ${report.remote} remote copies not checked` : ''}\n` +
          `oldest verification: ${summary.oldestVerifiedAt ?? 'none'}${coverage.stale ? ` — ${coverage.stale} copies older than ${coverage.targetDays} days` : ''}; ` +
          `re-reading everything within ${coverage.targetDays} days takes ${mb(coverage.neededRate)}/s\n`,
      );
    }
    return summary.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  });
}

export function registerScrubCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('scrub')
    .description('re-verify every copy of every archived file, reconcile storage and catalog, repair (exit 1 if any problem remains)')
    .option('--archive <dir>', 'archive root: its files are reconciled with the catalog (default catalog sqlite:<archive>/catalog.sqlite, cursor <archive>/.scrub-cursor.json)')
    .option('--catalog <spec>', 'catalog: sqlite:FILE, postgres://USER@HOST/DATABASE')
    .option('--rate <rate>', 'read at most this fast, e.g. 200MB/s, 50MiB/s (default: unlimited)')
    .option('--for <duration>', 'stop after this long, e.g. 30m, 1h; the next run continues where this one stopped')
    .option('--repair', 'rebuild corrupt and missing copies from a verified good copy (the bad bytes are kept aside, never deleted)')
    .option('--cursor <file>', 'where the position is kept between runs (default <archive>/.scrub-cursor.json)')
    .option('--coverage <days>', 'coverage target: every copy verified within this many days (for the report)', '30')
    .option('--alert-webhook <url>', 'also send each problem (throttled) to this webhook')
    .option('--json', 'one JSON line per problem {"archiveId","uri","problem","detail"} and a summary line')
    .addHelpText(
      'after',
      '\nProblems: CORRUPT (bytes differ from the catalog\'s SHA-256 or fail their DATASUM/CHECKSUM), MISSING (a cataloged\n' +
        'copy is absent), UNCATALOGED (a FITS file in the archive the catalog does not know: reported, never deleted).\n' +
        'Exit 0: every copy checked is intact (or was repaired); 1: a problem remains; 2: usage error.\n\n' +
        'Examples:\n  fits-ingest scrub --archive /archive --rate 200MB/s --for 1h\n  fits-ingest scrub --archive /archive --repair --json',
    )
    .action(async (options: ScrubCli) => {
      try {
        setExit(await run(io, options));
      } catch (error) {
        io.stderr.write(`fits-ingest scrub: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
