/**
 * Several schedulers on one store (hosts or processes sharing the processing store): each holds a lease naming its
 * processing areas, renewed while it runs. A request RUNNING in an area no live scheduler holds was left by a dead
 * one and is queued again; a request RUNNING in a live scheduler's area is left alone. Taking a QUEUED request is a
 * versioned update of the store, so two schedulers never both start it. Internal.
 *
 * @module
 */
import { hostname } from 'node:os';
import { IngestError } from '../core/errors.js';
import type { SchedulerLease } from '../core/ports/processing-store.js';
import type { ProcessingRequest } from '../core/processing/request.js';
import type { ProcessingArea } from './areas.js';
import type { ServiceContext } from './_context.js';
import { move } from './_run-job.js';

/** A new lease for this process's scheduler. */
export function newLease(id: string, areas: readonly ProcessingArea[], now: number): SchedulerLease {
  return { id, host: hostname(), pid: process.pid, areas: areas.map((a) => a.name), startedAt: now, heartbeatAt: now };
}

/** Live: renewed within `leaseMs`, and, on this host, its process still exists (a killed one is dead at once). */
export function leaseIsLive(lease: SchedulerLease, now: number, leaseMs: number): boolean {
  if (now - lease.heartbeatAt > leaseMs) return false;
  if (lease.host !== hostname()) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Registers `mine`; removes the leases of dead schedulers. Throws CONFLICT when a live scheduler holds one of its
 * area names (two schedulers must not run jobs in areas of the same name: the name is how a RUNNING request says
 * where it runs).
 */
export async function register(ctx: ServiceContext, mine: SchedulerLease, leaseMs: number): Promise<void> {
  for (const other of await ctx.store.listSchedulers()) {
    if (other.id === mine.id) continue;
    if (!leaseIsLive(other, ctx.now(), leaseMs)) {
      await ctx.store.removeScheduler(other.id);
      continue;
    }
    const shared = other.areas.find((a) => mine.areas.includes(a));
    if (shared !== undefined) {
      throw new IngestError('CONFLICT', `processing area ${shared} is held by the scheduler ${other.id} on ${other.host} (pid ${other.pid}), alive ${Math.round((ctx.now() - other.heartbeatAt) / 1000)} s ago`, {
        context: { field: 'areas' },
        hint: 'give each scheduler sharing a processing store its own area names (e.g. host1-area-1), or stop the other scheduler',
      });
    }
  }
  await ctx.store.putScheduler(mine);
}

/**
 * Requeues requests RUNNING in areas no live scheduler holds (their scheduler died) and, with `starting`, in
 * `mine`'s areas (this scheduler is starting, so none of them runs). Returns them.
 */
export async function requeueOrphans(ctx: ServiceContext, mine: SchedulerLease, leaseMs: number, starting: boolean): Promise<ProcessingRequest[]> {
  const running = await ctx.store.findRequests({ states: ['RUNNING'], limit: 100_000 });
  if (running.length === 0) return [];
  const live = (await ctx.store.listSchedulers()).filter((l) => l.id !== mine.id && leaseIsLive(l, ctx.now(), leaseMs));
  const held = new Set(live.flatMap((l) => l.areas));
  const requeued: ProcessingRequest[] = [];
  for (const request of running) {
    const ours = request.area !== undefined && mine.areas.includes(request.area);
    if (ours ? !starting : request.area !== undefined && held.has(request.area)) continue;
    const message = ours ? `the scheduler restarted while it ran in ${request.area}; the job runs again` : `the scheduler of ${request.area} stopped renewing its lease; the job runs again`;
    try {
      requeued.push(await move(ctx, request, { type: 'RESTART', message }, 'restart'));
    } catch {
      // moved meanwhile (finished, or taken by another scheduler's recovery)
    }
  }
  return requeued;
}
