/**
 * Bulk reprocessing of a whole instrument, throttled and resumable: the requests of a bulk selection are stored at
 * once (one transaction) as one throttled batch; submitting the same selection again while that batch is unfinished
 * resumes it, and frames whose products were already rebuilt are answered by the result cache. Also the stored
 * `auto-reprocess` setting of an instrument (recertification requeues without being asked). Internal.
 *
 * @module
 */
import { FINAL_REQUEST_STATES, type ProcessingRequest } from '../core/processing/request.js';
import type { ServiceContext } from './_context.js';
import type { Selection } from './inputs.js';

/** The bulk batch of a selection: its key, and the unfinished batch with that key if there is one. */
export function bulkBatch(ctx: ServiceContext, input: Selection & { calibration?: 'latest' | number }): { key: string; open(): Promise<ProcessingRequest[] | undefined> } {
  const what = input.all ? `all:${input.instrument}` : JSON.stringify([input.archiveIds ?? null, input.program ?? null, input.night ?? null, input.instrument ?? null]);
  const key = `${what}|${input.calibration ?? 'latest'}|${ctx.processor.name}@${ctx.processor.version}`;
  return {
    key,
    async open() {
      const [latest] = await ctx.store.findThrottles(key);
      if (!latest) return undefined;
      const requests = await ctx.store.findRequests({ batch: latest.batch, limit: 1_000_000 });
      return requests.some((r) => !FINAL_REQUEST_STATES.includes(r.state)) ? requests : undefined;
    },
  };
}

/** Whether recertifying an instrument's sets requeues what they replaced, and how. */
export interface AutoReprocess {
  enabled: boolean;
  /** Throttle the requeued requests (one start per interval), as bulk reprocessing. */
  intervalMs?: number;
  /** Who the requests are for (told when they finish). @default the certifying actor */
  requester?: string;
}

/** Reads, or with `value` stores, the `auto-reprocess:<instrument>` setting. */
export async function autoReprocess(ctx: ServiceContext, instrument: string, value?: AutoReprocess): Promise<AutoReprocess> {
  const key = `auto-reprocess:${instrument}`;
  if (value) await ctx.store.setSetting(key, value);
  return ((await ctx.store.getSetting(key)) as AutoReprocess | undefined) ?? { enabled: false };
}
