/**
 * In-process Processor: a TypeScript function is the pipeline step. For small steps, tests, and pipelines written
 * in JavaScript. The function must honour `job.signal` to be cancellable.
 *
 * @module
 */
import { IngestError, isIngestError, toIngestError } from '../../core/errors.js';
import type { Processor, ProcessorJob, ProcessorProduct } from '../../core/ports/processor.js';

/** Name of this adapter. */
export const FUNCTION_PROCESSOR_ADAPTER = 'function';

/** Options of {@link createFunctionProcessor}. */
export interface FunctionProcessorOptions {
  /** The pipeline's name (PROCNAME in the products). */
  name: string;
  /** The pipeline's version (PROCVERS; part of the result-cache key). */
  version: string;
  /** Writes products into `job.outputDir` and says which they are; may return a log. */
  run(job: ProcessorJob): Promise<{ products: ProcessorProduct[]; log?: string }>;
}

/** Creates a processor that calls `options.run` in this process. */
export function createFunctionProcessor(options: FunctionProcessorOptions): Processor {
  return {
    name: options.name,
    version: options.version,
    capabilities: { isolated: false },
    async run(job) {
      job.signal.throwIfAborted();
      try {
        const result = await options.run(job);
        return { products: result.products, log: result.log ?? '' };
      } catch (error) {
        if (job.signal.aborted) throw new IngestError('ABORTED', `${options.name} was cancelled`, { context: { request: job.requestId, log: '' } });
        if (isIngestError(error)) throw error;
        const failure = toIngestError(error);
        throw new IngestError('PROCESSOR_FAILED', `${options.name} failed: ${failure.detail}`, { cause: error, context: { request: job.requestId, log: String(error) } });
      }
    },
  };
}
