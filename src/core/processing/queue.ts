/**
 * Queue order of processing requests and the result-cache key. Pure.
 *
 * @module
 */
import type { ProcessingRequest } from './request.js';

/** QUEUED requests in the order they run: higher priority first, then oldest, then by id. */
export function queueOrder(requests: readonly ProcessingRequest[]): ProcessingRequest[] {
  return requests
    .filter((r) => r.state === 'QUEUED')
    .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** 1-based position of a QUEUED request in the queue; undefined when it is not queued. */
export function queuePosition(requests: readonly ProcessingRequest[], id: string): number | undefined {
  const at = queueOrder(requests).findIndex((r) => r.id === id);
  return at < 0 ? undefined : at + 1;
}

/**
 * The result-cache key: what a product depends on. The same input digests (in any order), calibration set version
 * and processor version give the same key, so a second identical request returns the archived products at once.
 */
export function resultCacheKey(inputDigests: readonly string[], calibrationSetId: string, processor: { name: string; version: string }): string {
  return `${processor.name}@${processor.version}|${calibrationSetId}|${[...inputDigests].sort().join(',')}`;
}
