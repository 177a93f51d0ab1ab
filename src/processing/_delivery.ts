/**
 * Delivery: once every request of a batch (or a lone request) is finished, its requester is told through a
 * notifier (the mail notifier) which products are ready and where to fetch them. The store's delivery claim makes
 * it once per batch, whichever scheduler finishes the last request. Internal.
 *
 * @module
 */
import type { Notifier } from '../core/ports/notifier.js';
import { productsReadyNotification } from '../core/processing/delivery.js';
import { FINAL_REQUEST_STATES, type ProcessingRequest } from '../core/processing/request.js';
import type { ServiceContext } from './_context.js';
import { localPath } from './inputs.js';

/** How requesters are told that their products are ready. */
export interface DeliveryOptions {
  /** E.g. `createMailNotifier(…)`; the service does not close it. */
  notifier: Notifier;
  /** The addresses of a requester. @default the requester itself when it is an e-mail address, else none */
  recipients?: (requester: string) => readonly string[] | Promise<readonly string[]>;
  /** Base URL of the archive's HTTP API: products are then given as `<base>/v1/files/<id>/content`. @default the archived copy's path */
  filesUrl?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Tells the requester if `request` was the last unfinished one of its batch. Never throws; the outcome is stored. */
export async function deliverIfFinished(ctx: ServiceContext, options: DeliveryOptions, request: ProcessingRequest): Promise<void> {
  const key = request.batch ?? request.id;
  // Cheap first: one unfinished request of the batch is enough to wait (a bulk batch finishes thousands of times).
  if (request.batch && (await ctx.store.findRequests({ batch: request.batch, states: ['QUEUED', 'RUNNING'], limit: 1 })).length > 0) return;
  const requests = request.batch ? await ctx.store.findRequests({ batch: request.batch, limit: 1_000_000 }) : [request];
  if (!requests.every((r) => FINAL_REQUEST_STATES.includes(r.state))) return;
  const to = [...(await (options.recipients ?? ((r: string) => (EMAIL.test(r) ? [r] : [])))(request.requester))];
  if (!(await ctx.store.claimDelivery(key, ctx.now(), to))) return;
  try {
    if (to.length === 0) throw new Error(`no address for the requester ${request.requester}`);
    const where = new Map<string, string>();
    for (const id of requests.flatMap((r) => r.products)) {
      if (options.filesUrl) where.set(id, `${options.filesUrl.replace(/\/+$/, '')}/v1/files/${encodeURIComponent(id)}/content`);
      else {
        const file = await ctx.catalog.getArchived(id);
        where.set(id, file ? localPath(file) : '(not in the catalog)');
      }
    }
    await options.notifier.send(productsReadyNotification({ key, requests, to, whereToFetch: (id) => where.get(id) ?? '', at: ctx.now() }));
    await ctx.store.finishDelivery(key, { sentAt: ctx.now() });
  } catch (error) {
    await ctx.store.finishDelivery(key, { error: error instanceof Error ? error.message : String(error) }).catch(() => {});
  }
}
