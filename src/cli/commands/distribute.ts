/** `fits-ingest distribute`: a program's distribution package in a folder or on tar volumes. */
import type { Command } from 'commander';
import { isIngestError } from '../../core/errors.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { checkNight } from '../../core/normalize/night.js';

interface DistributeCliOptions {
  catalog: string;
  program: string;
  from?: string;
  to?: string;
  format: string;
  out: string;
  volumes?: boolean;
  volumeSize: string;
  copies: string;
  thumbnails: boolean;
  instruments?: string[];
  json?: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function usage(options: DistributeCliOptions): string | undefined {
  if (!['raw', 'products', 'split'].includes(options.format)) return `--format must be raw, products or split, got ${options.format}`;
  for (const [flag, value] of [['--from', options.from], ['--to', options.to]] as const) {
    if (value !== undefined && !DAY.test(value)) return `${flag} must be a night YYYY-MM-DD, got ${value}`;
  }
  const copies = Number(options.copies);
  if (!Number.isInteger(copies) || copies < 1 || copies > 99) return `--copies must be an integer from 1 to 99, got ${options.copies}`;
  return undefined;
}

async function run(io: CliIo, options: DistributeCliOptions): Promise<number> {
  const { catalogInstruments, loadInstruments, openCatalog } = await import('../_setup.js');
  const { planDistribution, writeDistribution } = await import('../../distribute/index.js');
  const given = await loadInstruments(options.instruments);
  const catalog = openCatalog(options.catalog, given);
  await catalog.init();
  try {
    const instruments = await catalogInstruments(catalog, given);
    const plan = await planDistribution(catalog, {
      program: options.program,
      ...(options.from ? { nightFrom: checkNight(options.from, '--from') } : {}),
      ...(options.to ? { nightTo: checkNight(options.to, '--to') } : {}),
      format: options.format as 'raw',
      instruments,
    });
    const tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY) && io === process && !options.json;
    const { default: cliProgress } = await import('cli-progress');
    const bar = tty ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} files  {archiveId}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(plan.files.length, 0, { archiveId: '' });
    const result = await writeDistribution(plan, {
      out: options.out,
      thumbnails: options.thumbnails,
      ...(options.volumes ? { volumes: { volumeSize: options.volumeSize, copies: Number(options.copies) } } : {}),
      onProgress: (p) => bar?.update(p.done, { archiveId: p.archiveId }),
    }).finally(() => bar?.stop());
    const { manifest, missing } = result;
    for (const frame of missing) {
      if (options.json) printJsonLine(io, { archiveId: frame.archiveId, status: 'missing', problem: frame.problem });
      else io.stderr.write(`fits-ingest distribute: ${frame.archiveId} skipped: ${frame.problem}\n`);
    }
    const count = (role: string) => manifest.frames.filter((f) => f.role === role && f.status === 'ok').length;
    const summary = {
      program: plan.program,
      format: plan.format,
      nights: plan.nights,
      science: count('science'),
      products: count('product'),
      calibrations: count('calibration'),
      attachments: count('attachment'),
      missing: missing.length,
      files: manifest.files.length,
      bytes: manifest.files.reduce((n, f) => n + f.size, 0),
      volumes: manifest.volumes?.map((v) => v.label) ?? [],
      index: result.index,
      manifest: result.manifestText,
    };
    if (options.json) printJsonLine(io, summary);
    else {
      io.stdout.write(
        `program ${summary.program}: ${summary.science} science, ${summary.products} products, ${summary.calibrations} calibrations, ` +
          `${summary.attachments} attachments; ${summary.files} files, ${summary.bytes} bytes` +
          `${summary.volumes.length ? ` on ${summary.volumes.length} volumes` : ''}; ${summary.missing} missing\n` +
          `index: ${summary.index}\nmanifest: ${summary.manifest}\n`,
      );
      for (const note of manifest.notes) io.stdout.write(`note: ${note}\n`);
    }
    return missing.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
  } finally {
    await catalog.close();
  }
}

export function registerDistributeCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('distribute')
    .description("write a program's distribution package: its frames, associated calibrations, night attachments, thumbnails, headers, manifest and index.html")
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .requiredOption('--program <id>', 'program id (PROGID)')
    .requiredOption('--out <dir>', 'output folder (created if needed)')
    .option('--from <night>', 'first night, YYYY-MM-DD')
    .option('--to <night>', 'last night, YYYY-MM-DD')
    .option('--format <format>', 'raw (files as archived), products (processed products when present), split (one file per extension)', 'raw')
    .option('--volumes', 'write the package to tar volumes in <out>/volumes (index, manifest, thumbnails and headers stay in <out>)')
    .option('--volume-size <size>', 'maximum volume size with --volumes: bytes, or 700M, 4G', '4G')
    .option('--copies <n>', 'identical copies of each volume with --volumes', '1')
    .option('--no-thumbnails', 'do not make PNG thumbnails')
    .option('--instruments <path...>', 'extra instrument descriptions (their calibrationRules apply)')
    .option('--json', 'one JSON object per missing file, then a summary object')
    .addHelpText(
      'after',
      '\nExit status: 0 package complete; 1 unknown program, or an archived file missing or not matching its SHA-256 (it is\n' +
        'skipped and listed as missing in the manifest); 2 usage or environment error. See docs/distribution.md.\n\n' +
        'Examples:\n  fits-ingest distribute --catalog sqlite:/archive/catalog.sqlite --program K123 --out /export/K123\n' +
        '  fits-ingest distribute --catalog sqlite:/archive/catalog.sqlite --program K123 --from 2026-11-20 --to 2026-11-22 \\\n' +
        '      --format split --out /media/disk1/K123 --volumes --volume-size 4G --copies 2',
    )
    .action(async (options: DistributeCliOptions) => {
      const bad = usage(options);
      if (bad) {
        io.stderr.write(`fits-ingest distribute: ${bad}\n`);
        return setExit(EXIT_USAGE);
      }
      try {
        setExit(await run(io, options));
      } catch (error) {
        io.stderr.write(`fits-ingest distribute: ${errorLine(error)}\n`);
        setExit(isIngestError(error, 'NO_SUCH_PROGRAM') ? EXIT_CHECK_FAILED : EXIT_USAGE);
      }
    });
}
