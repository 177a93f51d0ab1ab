/**
 * `fits-ingest reprocess`: request reprocessing of raw frames (by archive id, program or night) with the certified
 * calibrations, optionally waiting for the products (this process then schedules the jobs).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { ProcessingRequest } from '../../core/processing/request.js';
import { rateInterval } from '../../core/processing/throttle.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { openProcessing, processingOptions, type ProcessingCliOptions } from '../_processing.js';

type ReprocessOptions = ProcessingCliOptions & { instrument?: string; all?: boolean; rate?: string; archiveId?: string[]; program?: string; night?: string; calibration: string; priority: string; requester?: string; wait?: boolean };

/** One line per request. */
export function printRequest(io: CliIo, r: ProcessingRequest & { position?: number }, json: boolean | undefined): void {
  if (json) return printJsonLine(io, { id: r.id, state: r.state, position: r.position ?? null, inputs: r.inputs.map((i) => i.archiveId), calibration: r.choice ?? null, cached: r.cached ?? false, products: r.products, error: r.error ?? null, requester: r.requester, priority: r.priority });
  const what = r.state === 'DONE' ? `${r.products.join(' ')}${r.cached ? ' (from the cache)' : ''}` : r.state === 'QUEUED' ? `position ${r.position ?? '?'}` : r.error ? `${r.error.code}: ${r.error.message}` : (r.area ?? '');
  io.stdout.write(`${r.state.padEnd(9)}  ${r.id}  ${r.inputs.map((i) => i.archiveId).join(',')}  ${r.choice ? `${r.choice.setId}${r.choice.exact ? '' : ` (${r.choice.reason})`}  ` : ''}${what}\n`);
}

export function registerReprocessCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  processingOptions(program.command('reprocess'))
    .description('reprocess raw frames with the certified calibrations through the pipeline; products are archived at level 2 with their parents')
    .option('--archive-id <id...>', 'raw frames by archive id')
    .option('--program <id>', 'every raw science frame of a program')
    .option('--night <YYYY-MM-DD>', 'every raw science frame of a night')
    .option('--instrument <name>', 'only frames of this instrument (with --all: every raw science frame of it)')
    .option('--all', 'with --instrument: bulk reprocessing of the whole instrument (throttled, resumable; priority -10)')
    .option('--rate <N/unit>', 'bulk: start at most N requests per s, min, h or day (e.g. 120/h); also makes any selection a throttled bulk batch')
    .option('--calibration <latest|N>', 'the set certified for each frame (latest) or set version N', 'latest')
    .option('--priority <n>', 'higher runs first (default 0; bulk -10)')
    .option('--requester <name>', 'who asks (default: your user name)')
    .option('--wait', 'run the jobs in this process and wait for the products')
    .addHelpText('after', '\nExamples:\n  fits-ingest reprocess --archive /data/archive --program K123 --wait\n  fits-ingest reprocess --archive /data/archive --archive-id KB.20261120.21012.34 --calibration 2 --json\n  fits-ingest reprocess --archive /data/archive --instrument KCWI --all --rate 120/h --wait   # again after a kill: resumes')
    .action(async (options: ReprocessOptions) => {
      let opened: Awaited<ReturnType<typeof openProcessing>> | undefined;
      try {
        const calibration = options.calibration === 'latest' ? 'latest' : Number(options.calibration);
        if (calibration !== 'latest' && !(Number.isInteger(calibration) && calibration > 0)) throw new Error(`--calibration must be latest or a version number, not ${options.calibration}`);
        if (options.all && options.instrument === undefined) throw new Error('--all needs --instrument');
        if (!options.archiveId?.length && options.program === undefined && options.night === undefined && !options.all) throw new Error('say what to reprocess: --archive-id, --program, --night or --instrument X --all');
        const throttle = options.rate ? { intervalMs: rateInterval(options.rate) } : options.all ? { intervalMs: 0 } : undefined;
        opened = await openProcessing(options);
        const { service } = opened;
        const submittedAt = Date.now();
        const requests = await service.submit({
          requester: options.requester ?? userInfo().username, calibration, ...(options.priority !== undefined ? { priority: Number(options.priority) || 0 } : {}),
          ...(throttle ? { throttle } : {}), ...(options.instrument !== undefined ? { instrument: options.instrument } : {}), ...(options.all ? { all: true } : {}),
          ...(options.archiveId?.length ? { archiveIds: options.archiveId } : {}), ...(options.program !== undefined ? { program: options.program } : {}), ...(options.night !== undefined ? { night: options.night } : {}),
        });
        const resumed = requests.some((r) => r.createdAt < submittedAt);
        if (resumed && !options.json) io.stdout.write(`resuming the unfinished bulk batch ${requests[0]!.batch}: ${requests.filter((r) => r.state === 'DONE').length} of ${requests.length} done\n`);
        let final = await Promise.all(requests.map((r) => service.get(r.id)));
        if (options.wait) {
          await service.start();
          final = await service.settled(requests.map((r) => r.id));
        }
        for (const r of final) printRequest(io, r, options.json);
        if (!options.json && !options.wait) io.stdout.write(`${requests.length} request(s) queued; run them with: fits-ingest requests run --archive ${options.archive}\n`);
        setExit(final.some((r) => r.state === 'FAILED' || r.state === 'CANCELLED') ? EXIT_CHECK_FAILED : EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest reprocess: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      } finally {
        await opened?.close();
      }
    });
}
