/**
 * `fits-ingest calib certify|decertify|list|auto-reprocess`: calibration sets with validity ranges (docs/processing.md).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatRange } from '../../core/processing/calibration-set.js';
import { rateInterval } from '../../core/processing/throttle.js';
import { EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { openProcessing, parseTime, processingOptions, type ProcessingCliOptions } from '../_processing.js';

type CalibOptions = ProcessingCliOptions & { on?: boolean; off?: boolean; rate?: string; requester?: string; instrument: string; kind: string; file?: string[]; from?: string; to?: string; replace?: boolean; reprocess?: boolean; version?: string; note?: string };

export function registerCalibCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const calib = program.command('calib').description('calibration sets and their certified validity ranges (certify, decertify, list)');
  const run = (name: string, body: (options: CalibOptions, service: Awaited<ReturnType<typeof openProcessing>>['service']) => Promise<void>) => async (options: CalibOptions) => {
    let opened: Awaited<ReturnType<typeof openProcessing>> | undefined;
    try {
      opened = await openProcessing(options);
      await body(options, opened.service);
      setExit(EXIT_OK);
    } catch (error) {
      io.stderr.write(`fits-ingest calib ${name}: ${errorLine(error)}\n`);
      setExit(EXIT_USAGE);
    } finally {
      await opened?.close();
    }
  };

  processingOptions(calib.command('certify'))
    .description('certify a new calibration set version (archived files by role) for a range of observation time')
    .requiredOption('--instrument <name>', 'instrument, e.g. KCWI')
    .option('--kind <kind>', 'calibration kind the pipeline needs', 'imaging')
    .requiredOption('--file <role=archive-id...>', 'archived calibration files, e.g. bias=KB.20261120.18000.00 flat=…')
    .requiredOption('--from <time>', 'start of validity (date or ISO date-time, UT)')
    .option('--to <time>', 'end of validity, exclusive (default: open-ended)')
    .option('--replace', 'recertify: replace what is certified in the range instead of refusing the overlap')
    .option('--reprocess', 'with --replace: queue reprocessing of exactly the products built with what was replaced (default: the instrument\'s auto-reprocess setting)')
    .option('--no-reprocess', 'do not queue them, even when auto-reprocess is on')
    .option('--note <text>', 'why this set')
    .addHelpText('after', '\nExample:\n  fits-ingest calib certify --archive /data/archive --instrument KCWI --file bias=KB.20261120.18000.00 --file flat=KB.20261120.18300.00 --from 2026-11-20')
    .action(run('certify', async (options, service) => {
      const files = (options.file ?? []).map((spec) => {
        const [role, archiveId] = spec.split('=');
        if (!role || !archiveId) throw new Error(`--file ${spec}: expected ROLE=ARCHIVE-ID`);
        return { role, archiveId };
      });
      const out = await service.certify({
        instrument: options.instrument, kind: options.kind, files, from: parseTime(options.from!, '--from'), to: options.to ? parseTime(options.to, '--to') : null,
        replace: options.replace ?? false, ...(options.reprocess !== undefined ? { reprocess: options.reprocess } : {}), actor: `operator:${userInfo().username}`, ...(options.note ? { note: options.note } : {}),
      });
      if (options.json) printJsonLine(io, { set: out.set, range: out.range, replaced: out.replaced, affected: out.affected.map((p) => p.archiveId), requests: out.requests.map((r) => r.id) });
      else {
        io.stdout.write(`CERTIFIED  ${out.set.id}  ${formatRange(out.range)}  (${out.set.files.map((f) => `${f.role}=${f.archiveId}`).join(' ')})\n`);
        for (const r of out.replaced) io.stdout.write(`REPLACED   ${r.setId}  ${formatRange(r)}\n`);
        if (out.affected.length) io.stdout.write(`${out.affected.length} product(s) were built with what it replaced${out.requests.length ? `; ${out.requests.length} request(s) queued` : ' (add --reprocess to queue them)'}\n`);
      }
    }));

  processingOptions(calib.command('auto-reprocess'))
    .description('show or set (stored for every process) whether recertifying the instrument\'s sets queues what they replaced')
    .requiredOption('--instrument <name>', 'instrument, e.g. KCWI')
    .option('--on', 'recertification queues reprocessing of exactly the products built with what it replaced')
    .option('--off', 'recertification only reports those products')
    .option('--rate <N/unit>', 'with --on: throttle the queued requests like bulk reprocessing, e.g. 120/h')
    .option('--requester <name>', 'with --on: who the requests are for and who is told when they finish (default: the certifying operator)')
    .action(run('auto-reprocess', async (options, service) => {
      if (options.on && options.off) throw new Error('--on or --off, not both');
      const value = options.on || options.off
        ? { enabled: Boolean(options.on), ...(options.rate ? { intervalMs: rateInterval(options.rate) } : {}), ...(options.requester ? { requester: options.requester } : {}) }
        : undefined;
      const setting = await service.autoReprocess(options.instrument, value);
      if (options.json) printJsonLine(io, { instrument: options.instrument, ...setting });
      else io.stdout.write(`auto-reprocess ${options.instrument}: ${setting.enabled ? 'on' : 'off'}${setting.intervalMs ? `, one request per ${setting.intervalMs / 1000} s` : ''}${setting.requester ? `, for ${setting.requester}` : ''}\n`);
    }));

  processingOptions(calib.command('decertify'))
    .description('withdraw part of a certified range (a range cut in its middle becomes two)')
    .requiredOption('--instrument <name>', 'instrument')
    .option('--kind <kind>', 'calibration kind', 'imaging')
    .requiredOption('--from <time>', 'start of the part to withdraw')
    .option('--to <time>', 'end of the part to withdraw, exclusive (default: open-ended)')
    .option('--version <n>', 'only ranges of this set version')
    .action(run('decertify', async (options, service) => {
      const removed = await service.decertify({ instrument: options.instrument, kind: options.kind, from: parseTime(options.from!, '--from'), to: options.to ? parseTime(options.to, '--to') : null, ...(options.version ? { version: Number(options.version) } : {}) });
      for (const r of removed) {
        if (options.json) printJsonLine(io, { decertified: r });
        else io.stdout.write(`DECERTIFIED  ${r.setId}  ${formatRange(r)}\n`);
      }
    }));

  processingOptions(calib.command('list'))
    .description('calibration sets and what is certified when')
    .option('--instrument <name>', 'only this instrument')
    .action(run('list', async (options, service) => {
      const { store } = service.context;
      const filter = options.instrument ? { instrument: options.instrument } : {};
      const sets = await store.listSets(filter);
      const ranges = await store.listRanges(filter);
      if (options.json) return printJsonLine(io, { sets, ranges });
      for (const s of sets) {
        io.stdout.write(`${s.id}  ${s.files.map((f) => `${f.role}=${f.archiveId}`).join(' ')}\n`);
        for (const r of ranges.filter((x) => x.setId === s.id)) io.stdout.write(`    certified ${formatRange(r)}  by ${r.certifiedBy}\n`);
      }
      if (sets.length === 0) io.stdout.write('no calibration set\n');
    }));
}
