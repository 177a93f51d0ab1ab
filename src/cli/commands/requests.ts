/**
 * `fits-ingest requests list|show|cancel|run`: processing requests, their queue positions, logs and histories.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { RequestState } from '../../core/processing/request.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { openProcessing, processingOptions, type ProcessingCliOptions } from '../_processing.js';
import { printRequest } from './reprocess.js';

type Service = Awaited<ReturnType<typeof openProcessing>>['service'];

export function registerRequestsCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const requests = program.command('requests').description('processing requests: list, show (log and history), cancel, run the queue');
  const run = <O extends ProcessingCliOptions>(name: string, body: (service: Service, options: O, arg?: string) => Promise<number>) => async (...args: unknown[]) => {
    const [first, second] = args;
    const options = (typeof first === 'string' ? second : first) as O;
    let opened: Awaited<ReturnType<typeof openProcessing>> | undefined;
    try {
      opened = await openProcessing(options);
      setExit(await body(opened.service, options, typeof first === 'string' ? first : undefined));
    } catch (error) {
      io.stderr.write(`fits-ingest requests ${name}: ${errorLine(error)}\n`);
      setExit(EXIT_USAGE);
    } finally {
      await opened?.close();
    }
  };

  processingOptions(requests.command('list'))
    .description('requests, oldest first, with queue positions')
    .option('--state <state...>', 'only these states (QUEUED RUNNING DONE FAILED CANCELLED)')
    .option('--requester <name>', 'only this requester')
    .action(run<ProcessingCliOptions & { state?: string[]; requester?: string }>('list', async (service, options) => {
      const states = options.state?.map((s) => s.toUpperCase() as RequestState);
      for (const r of await service.list({ ...(states ? { states } : {}), ...(options.requester ? { requester: options.requester } : {}) })) printRequest(io, r, options.json);
      return EXIT_OK;
    }));

  processingOptions(requests.command('show').argument('<id>', 'request id'))
    .description('one request: state, calibration choice, timings, products, history and log')
    .action(run('show', async (service, options, id) => {
      const r = await service.get(id!);
      if (options.json) printJsonLine(io, r);
      else {
        printRequest(io, r, false);
        io.stdout.write(`requester ${r.requester}, priority ${r.priority}, attempts ${r.attempts}${r.reason ? `, ${r.reason}` : ''}\n`);
        for (const h of r.history) io.stdout.write(`  ${new Date(h.at).toISOString()}  ${String(h.from).padEnd(9)} → ${h.to.padEnd(9)} ${h.cause} by ${h.actor}${h.area ? ` in ${h.area}` : ''}${h.message ? `: ${h.message}` : ''}\n`);
        if (r.log) io.stdout.write(`log:\n${r.log.replace(/^/gm, '  | ')}\n`);
      }
      return EXIT_OK;
    }));

  processingOptions(requests.command('cancel').argument('<id>', 'request id'))
    .description('cancel a queued request (or one this process runs)')
    .action(run('cancel', async (service, options, id) => {
      printRequest(io, await service.cancel(id!, `operator:${userInfo().username}`), options.json);
      return EXIT_OK;
    }));

  processingOptions(requests.command('run'))
    .description('run the scheduler until the queue is empty (requests a crash left RUNNING run again)')
    .action(run('run', async (service, options) => {
      const ids = (await service.list({ states: ['QUEUED', 'RUNNING'] })).map((r) => r.id);
      await service.start();
      for (;;) {
        const open = await service.list({ states: ['QUEUED', 'RUNNING'] });
        if (open.length === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const failed = (await Promise.all(ids.map((id) => service.get(id)))).filter((r) => r.state === 'FAILED');
      if (!options.json) io.stdout.write(`queue empty${failed.length ? `; ${failed.length} request(s) FAILED (see requests show ID)` : ''}\n`);
      return failed.length ? EXIT_CHECK_FAILED : EXIT_OK;
    }));
}
