/**
 * Telling a requester that reprocessing finished: the mail (or any notifier's) message for a batch of requests, with
 * where to fetch each product. Pure.
 *
 * @module
 */
import type { Notification } from '../ports/notifier.js';
import type { ProcessingRequest } from './request.js';

/** The `products-ready` notification of a finished batch (every request DONE, FAILED or CANCELLED). */
export function productsReadyNotification(input: {
  key: string;
  requests: readonly ProcessingRequest[];
  to: readonly string[];
  /** Where a product can be fetched: an HTTP URL, a path on a distribution volume… */
  whereToFetch: (archiveId: string) => string;
  at: number;
}): Notification {
  const { requests } = input;
  const done = requests.filter((r) => r.state === 'DONE');
  const failed = requests.filter((r) => r.state === 'FAILED');
  const cancelled = requests.filter((r) => r.state === 'CANCELLED');
  const products = done.flatMap((r) => r.products);
  const first = requests[0];
  const lines = [
    `Your reprocessing request${requests.length > 1 ? 's' : ''} (${requests.length} raw frame${requests.length > 1 ? 's' : ''}${first?.reason ? `, ${first.reason}` : ''}) finished:`,
    `${done.length} done, ${failed.length} failed, ${cancelled.length} cancelled.`,
    '',
  ];
  if (products.length > 0) {
    lines.push('Products:');
    for (const r of done) for (const p of r.products) lines.push(`  ${p}  ${input.whereToFetch(p)}  (${r.choice?.setId ?? '?'}${r.cached ? ', from the result cache' : ''})`);
    lines.push('');
  }
  if (failed.length > 0) {
    lines.push('Failed:');
    for (const r of failed) lines.push(`  ${r.inputs.map((i) => i.archiveId).join(',')}  ${r.error?.code ?? ''}: ${r.error?.message ?? ''}  (request ${r.id})`);
    lines.push('');
  }
  lines.push(`Request ids: ${requests.map((r) => r.id).join(' ')}`);
  return {
    kind: 'products-ready',
    to: [...input.to],
    subject: `fits-ingest: ${products.length} product(s) ready${failed.length ? `, ${failed.length} failed` : ''} (${first?.instrument ?? ''} reprocessing)`,
    text: `${lines.join('\n')}\n`,
    data: { batch: input.key, requests: requests.length, done: done.length, failed: failed.length, cancelled: cancelled.length, products: products.join(',') },
    at: input.at,
  };
}
