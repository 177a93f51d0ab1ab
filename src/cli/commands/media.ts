/** `fits-ingest media write|verify|index|restore`: archived files on tar volumes (see docs/media.md). */
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import type { IndexEntry, MediaItem } from '../../adapters/transports/media/index.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { addFileQueryOptions, fileQueryOf, type FileQueryOptions } from './status.js';
import { withCatalog } from '../_with-catalog.js';
import { checkNight } from '../../core/normalize/night.js';
import { registerMediaMessageCommands } from './media-messages.js';

const media = () => import('../../adapters/transports/media/index.js');

const failed = (io: CliIo, command: string, error: unknown, json: boolean | undefined, extra: Record<string, unknown> = {}): void => {
  if (json) printJsonLine(io, { ok: false, ...extra, error: (error as IngestError).toJSON?.() ?? { message: errorLine(error) } });
  else io.stderr.write(`fits-ingest media ${command}: ${errorLine(error)}\n`);
};

type WriteOptions = FileQueryOptions & { catalog: string; out: string[]; volumeSize: string; copies: string; labelPrefix: string; again?: boolean; json?: boolean };

async function write(io: CliIo, options: WriteOptions): Promise<number> {
  const { writeVolumes, archivedItem, isOnMedia, recordLastVolume } = await media();
  return withCatalog(options.catalog, async (catalog) => {
    // A crash after the last volume was completed but before its locations were recorded: record them now, so
    // its files are not written twice.
    const reconciled = await recordLastVolume(options.out, { catalog, labelPrefix: options.labelPrefix });
    if (reconciled.recorded > 0) io.stderr.write(`fits-ingest media write: ${reconciled.recorded} locations of ${reconciled.volumes.join(', ')} were missing from the catalog (an interrupted run); recorded\n`);
    const files = await catalog.findArchived(fileQueryOf(options));
    const items: MediaItem[] = [];
    let problems = 0;
    let already = 0;
    for (const file of files) {
      if (!options.again && isOnMedia(file)) {
        already++;
        continue;
      }
      const item = archivedItem(file);
      if (item) items.push(item);
      else {
        problems++;
        failed(io, 'write', new IngestError('FILE_NOT_FOUND', `no local copy of ${file.archiveId} to read (locations: ${file.locations.map((l) => l.uri).join(', ')})`, { context: { archiveId: file.archiveId } }), options.json);
      }
    }
    const tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY) && io === process && !options.json;
    const { default: cliProgress } = await import('cli-progress');
    const total = items.reduce((n, i) => n + (i.size ?? 0), 0);
    const bar = tty ? new cliProgress.SingleBar({ format: ' {bar} {percentage}% {value}/{total} MB  {volume} {member}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(Math.ceil(total / 1e6), 0, { volume: '', member: '' });
    const copies = Number(options.copies);
    const report = await writeVolumes(items, {
      out: options.out.length === 1 ? options.out[0]! : options.out,
      volumeSize: options.volumeSize,
      copies,
      labelPrefix: options.labelPrefix,
      catalog,
      onProgress: (p) => bar?.update(Math.floor(p.bytes / 1e6), { volume: p.volume, member: p.member }),
    }).finally(() => bar?.stop());
    for (const f of report.failed) failed(io, 'write', f.error, options.json, { member: f.member, archiveId: f.archiveId });
    for (const c of report.catalogErrors) failed(io, 'write', c.error, options.json, { archiveId: c.archiveId });
    for (const v of report.volumes) {
      if (options.json) printJsonLine(io, { volume: v.label, paths: v.paths, size: v.size, members: v.members, firstSerial: v.firstSerial, lastSerial: v.lastSerial });
      else io.stdout.write(`${v.label}  ${v.members} files  serials ${v.firstSerial}–${v.lastSerial}  ${v.size} bytes  ${v.paths.join(' ')}\n`);
    }
    const summary = { written: report.items.length, failed: report.failed.length + problems, alreadyOnMedia: already, bytes: report.bytes, nextSerial: report.nextSerial, discardedPartials: report.discarded };
    if (options.json) printJsonLine(io, summary);
    else io.stdout.write(`${summary.written} written, ${summary.failed} failed, ${already} already on media; next serial ${report.nextSerial}\n`);
    return summary.failed + report.catalogErrors.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
  });
}

async function verify(io: CliIo, volumes: string[], options: { catalog?: string; json?: boolean }): Promise<number> {
  const { verifyVolumes } = await media();
  const run = async (catalog?: import('../../core/ports/catalog.js').Catalog) => {
    const report = await verifyVolumes(volumes, catalog ? { catalog } : {});
    for (const f of report.failures) failed(io, 'verify', f, options.json);
    if (options.json) printJsonLine(io, { ok: report.ok, checked: report.checked, volumes: report.volumes, gaps: report.gaps, repeats: report.repeats });
    else {
      const serials = report.volumes.map((v) => `${v.label}.c${v.copy} ${v.firstSerial}–${v.lastSerial}`).join(', ');
      io.stdout.write(`${report.ok ? 'OK' : 'FAILED'}: ${report.checked} members on ${report.volumes.length} volumes (${serials}); ${report.failures.length} problems\n`);
    }
    return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  };
  return options.catalog ? withCatalog(options.catalog, run) : run();
}

async function index(io: CliIo, volumes: string[], options: { catalog: string; instruments?: string[]; json?: boolean }): Promise<number> {
  const { indexVolumes } = await media();
  const { loadInstruments } = await import('../_setup.js');
  const instruments = await loadInstruments(options.instruments ?? []);
  return withCatalog(options.catalog, async (catalog) => {
    const report = await indexVolumes(volumes, { catalog, instruments });
    for (const f of report.failures) failed(io, 'index', f, options.json);
    if (options.json) printJsonLine(io, { ok: report.failures.length === 0, located: report.located, restored: report.restored, skipped: report.skipped });
    else io.stdout.write(`${report.located} locations recorded, ${report.restored.length} archived files restored into the catalog, ${report.skipped} members without archive id, ${report.failures.length} failures\n`);
    return report.failures.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
  });
}

interface RestoreCli {
  from: string[];
  to: string;
  archiveId?: string[];
  serial?: string;
  name?: string;
  instrument?: string;
  night?: string;
  catalog?: string;
  json?: boolean;
}

const globToRegExp = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** Selection on index entries (works without a catalog). */
function selection(options: RestoreCli): (entry: IndexEntry) => boolean {
  const ids = options.archiveId && new Set(options.archiveId);
  const serial = options.serial && /^(\d+)(?:-(\d+))?$/.exec(options.serial);
  if (options.serial && !serial) throw new IngestError('INVALID_OPTIONS', `--serial ${options.serial}: expected N or N-M`, { context: { field: 'serial' } });
  const [lo, hi] = serial ? [Number(serial[1]), Number(serial[2] ?? serial[1])] : [0, Infinity];
  const name = options.name ? globToRegExp(options.name) : undefined;
  const [nightFrom, nightTo] = (options.night ?? '').split('..');
  if (options.night) for (const night of [nightFrom!, nightTo].filter((n): n is string => Boolean(n))) checkNight(night, '--night');
  return (entry) => {
    const night = typeof entry.file?.['night'] === 'string' ? entry.file['night'] : '';
    const instrument = typeof entry.file?.['instrument'] === 'string' ? entry.file['instrument'] : '';
    return (
      (!ids || (entry.archiveId !== undefined && ids.has(entry.archiveId))) &&
      entry.serial >= lo &&
      entry.serial <= hi &&
      (!name || name.test(entry.name)) &&
      (!options.instrument || instrument.toUpperCase() === options.instrument.toUpperCase()) &&
      (!options.night || (night >= nightFrom! && night <= (nightTo || nightFrom!)))
    );
  };
}

async function restore(io: CliIo, options: RestoreCli): Promise<number> {
  const { restoreFromVolumes } = await media();
  const select = selection(options);
  const run = async (catalog?: import('../../core/ports/catalog.js').Catalog) => {
    const report = await restoreFromVolumes(options.from, { to: options.to, select, ...(catalog ? { catalog } : {}) });
    for (const f of report.failures) failed(io, 'restore', f, options.json);
    for (const r of report.restored) {
      if (options.json) printJsonLine(io, { ok: true, ...r });
      else io.stdout.write(`${r.path}  serial ${r.serial}  ${r.sha256}  from ${r.volume}\n`);
    }
    if (!options.json) io.stdout.write(`${report.restored.length} restored, ${report.failures.length} failures\n`);
    return report.failures.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
  };
  return options.catalog ? withCatalog(options.catalog, run) : run();
}

/** Runs a command body with the CLI's exit-code and error conventions. */
function action<A extends unknown[]>(io: CliIo, setExit: (code: number) => void, name: string, body: (...args: A) => Promise<number>) {
  return async (...args: A): Promise<void> => {
    try {
      setExit(await body(...args));
    } catch (error) {
      io.stderr.write(`fits-ingest media ${name}: ${errorLine(error)}\n`);
      setExit(EXIT_USAGE);
    }
  };
}

export function registerMediaCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program.command('media').description('archived files on numbered tar volumes, in duplicate (docs/media.md)');
  addFileQueryOptions(
    command
      .command('write')
      .description('write archived files (selected like catalog query) to tar volumes, continuing the serial sequence')
      .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
      .requiredOption('--out <dir...>', 'output directory, or one per copy'),
    '1000000000',
  )
    .option('--volume-size <size>', 'maximum volume size (bytes, or 700M, 4G)', '4G')
    .option('--copies <n>', 'identical copies of each volume', '2')
    .option('--label-prefix <prefix>', 'volume labels are PREFIX + six digits', 'FI')
    .option('--again', 'also write files that already have a copy on media')
    .option('--json', 'one JSON object per failure and volume, then a summary')
    .addHelpText('after', '\nExamples:\n  fits-ingest media write --catalog sqlite:/archive/catalog.sqlite --out /media/disk1 /media/disk2 --volume-size 4G\n  fits-ingest media write --catalog sqlite:cat.sqlite --out /tmp/vols --instrument KCWI --from 2026-11-20 --to 2026-11-21 --copies 1')
    .action(action(io, setExit, 'write', (options: WriteOptions) => write(io, options)));

  command
    .command('verify')
    .description('read back every member: size, SHA-256 and FITS sums against the catalog or the volume index; serial gaps and repeats')
    .argument('<volume...>', 'volume files (LABEL.cN.tar)')
    .option('--catalog <spec>', 'check against this catalog (default: the volume index)')
    .option('--json', 'one JSON object per failure, then a summary')
    .addHelpText('after', '\nExit status: 0 all members intact and the serials unbroken, 1 a failure (named with volume, member, serial and byte offset).\n\nExample:\n  fits-ingest media verify /media/disk1/FI*.tar --catalog sqlite:/archive/catalog.sqlite')
    .action(action(io, setExit, 'verify', (volumes: string[], options: { catalog?: string; json?: boolean }) => verify(io, volumes, options)));

  command
    .command('index')
    .description('record the volumes in the catalog: a location per member copy; archived files the catalog lost are restored from the index')
    .argument('<volume...>', 'volume files')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .option('--instruments <path...>', 'extra instrument descriptions (files or directories) for keyword columns')
    .option('--json', 'one JSON object per failure, then a summary')
    .addHelpText('after', '\nExample:\n  fits-ingest media index /media/disk1/FI*.tar --catalog sqlite:/archive/catalog.sqlite')
    .action(action(io, setExit, 'index', (volumes: string[], options: { catalog: string; instruments?: string[]; json?: boolean }) => index(io, volumes, options)));

  command
    .command('restore')
    .description('copy selected members out of volumes, verified, byte-identical; another copy stands in for a damaged one')
    .requiredOption('--from <volume...>', 'volume files (copies of one volume may all be given)')
    .requiredOption('--to <dir>', 'directory to restore into')
    .option('--archive-id <id...>', 'select these archive ids')
    .option('--serial <n-m>', 'select a serial number or range')
    .option('--name <glob>', 'select member names (* and ?)')
    .option('--instrument <name>', 'select an instrument')
    .option('--night <from..to>', 'select a night or a range of nights')
    .option('--catalog <spec>', 'check against this catalog (default: the volume index)')
    .option('--json', 'one JSON object per restored file or failure')
    .addHelpText('after', '\nWithout selection options every member is restored.\n\nExample:\n  fits-ingest media restore --from /media/disk1/FI000012.c1.tar /media/disk2/FI000012.c2.tar --archive-id KB.20261120.00001.00 --to ./restored')
    .action(action(io, setExit, 'restore', (options: RestoreCli) => restore(io, options)));
  registerMediaMessageCommands(command, io, (name, body) => action(io, setExit, name, body));
}
