/**
 * External-command Processor: runs any pipeline (a Python DRP, a shell script) in its processing area. The command
 * gets the path of a JSON manifest as its last argument (see docs/processing.md):
 *
 * ```json
 * { "request": "…", "processor": { "name": "…", "version": "…" }, "outputDir": "/area/out",
 *   "inputs": [{ "archiveId": "…", "path": "…", "sha256": "…" }],
 *   "calibration": { "setId": "KCWI/imaging/v2", "version": 2, "files": [{ "role": "bias", "archiveId": "…", "path": "…", "sha256": "…" }] },
 *   "provenance": [{ "keyword": "CALSET", "value": "KCWI/imaging/v2", "comment": "calibration set used" }, …] }
 * ```
 *
 * It writes its products into `outputDir` and may list them in `outputDir/products.json`
 * (`{ "products": [{ "file": "x.fits", "level": 2, "parents": ["…"] }] }`); without it every `*.fits` there is a
 * level-2 product of all inputs. It runs in its own process group, so a timeout or a cancellation kills the
 * pipeline and everything it started. Its stdout and stderr are the request's log.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import { PROCESS_GROUP_FILE, type Processor, type ProcessorJob, type ProcessorProduct } from '../../core/ports/processor.js';
import { parseOptions } from '../_shared/options.js';
import { runGroup } from './_process-group.js';

/** Name of this adapter. */
export const COMMAND_PROCESSOR_ADAPTER = 'command';

const optionsSchema = z.object({
  /** The pipeline's name (PROCNAME in the products). */
  name: z.string().min(1),
  /** The pipeline's version (PROCVERS; part of the result-cache key). */
  version: z.string().min(1),
  /** Program and arguments; the manifest path is appended. */
  command: z.array(z.string().min(1)).min(1),
  /** Kill the pipeline (and its process group) after this long. @default 600000 */
  timeoutMs: z.number().int().positive().default(600_000),
  /** Between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs: z.number().int().nonnegative().default(2000),
  /** Log bytes kept (the end is kept when longer). @default 1048576 */
  maxLogBytes: z.number().int().positive().default(1 << 20),
  /** Extra environment variables. @default {} */
  env: z.record(z.string(), z.string()).default({}),
});

/** Options of {@link createCommandProcessor}. */
export type CommandProcessorOptions = z.input<typeof optionsSchema>;

const listedSchema = z.object({
  products: z.array(z.object({ file: z.string().min(1), level: z.union([z.literal(1), z.literal(2)]).default(2), parents: z.array(z.string()).optional() })),
});

async function productsOf(job: ProcessorJob): Promise<ProcessorProduct[]> {
  const all = job.inputs.map((i) => i.archiveId);
  const listing = join(job.outputDir, 'products.json');
  if (existsSync(listing)) {
    const parsed = listedSchema.safeParse(JSON.parse(await readFile(listing, 'utf8')));
    if (!parsed.success) throw new IngestError('PROCESSOR_FAILED', `products.json is malformed: ${parsed.error.message}`, { context: { file: listing } });
    return parsed.data.products.map((p) => ({ path: join(job.outputDir, p.file), level: p.level, parents: p.parents ?? all }));
  }
  const names = (await readdir(job.outputDir)).filter((n) => /\.fits$/i.test(n)).sort();
  return names.map((n) => ({ path: join(job.outputDir, n), level: 2 as const, parents: all }));
}

/** Creates a processor that runs an external command per job. */
export function createCommandProcessor(input: CommandProcessorOptions): Processor {
  const options = parseOptions(optionsSchema, input, 'the command processor');
  return {
    name: options.name,
    version: options.version,
    capabilities: { isolated: true },
    async run(job) {
      job.signal.throwIfAborted();
      const manifest = join(job.area.dir, 'manifest.json');
      const body = { request: job.requestId, processor: { name: options.name, version: options.version }, outputDir: job.outputDir, inputs: job.inputs, calibration: job.calibration, provenance: job.provenance, ...(job.mode ? { mode: job.mode } : {}) };
      await writeFile(manifest, `${JSON.stringify(body, null, 2)}\n`);
      const [program, ...args] = options.command;
      const child = spawn(program!, [...args, manifest], { cwd: job.area.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
      // A scheduler killed while this runs leaves the group behind; its restart reads this file and kills it.
      if (child.pid !== undefined) await writeFile(join(job.area.dir, PROCESS_GROUP_FILE), `${child.pid}\n`);
      const outcome = await runGroup(child, { signal: job.signal, timeoutMs: options.timeoutMs, killGraceMs: options.killGraceMs, maxLogBytes: options.maxLogBytes });
      const context = { request: job.requestId, area: job.area.name, log: outcome.log };
      if (outcome.ended === 'aborted') throw new IngestError('ABORTED', `${options.name} was cancelled and its process group killed`, { context });
      if (outcome.ended !== 'exit' && outcome.ended !== 'error') throw new IngestError('PROCESSOR_TIMEOUT', `${options.name} ran longer than ${options.timeoutMs} ms and was killed`, { context });
      if (outcome.ended === 'error') throw new IngestError('PROCESSOR_FAILED', `${options.name} could not start: ${outcome.message}`, { context });
      if (outcome.code !== 0) {
        const last = outcome.log.trimEnd().split('\n').at(-1) ?? '';
        throw new IngestError('PROCESSOR_FAILED', `${options.name} exited with ${outcome.signal ?? `code ${outcome.code}`}: ${last}`, { context });
      }
      return { products: await productsOf(job), log: outcome.log };
    },
  };
}
