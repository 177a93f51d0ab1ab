/**
 * Crash recovery at start, and the periodic claim: the catalog says what is unfinished; staged copies nobody
 * needs are removed; claimed records are queued from the state they were left in.
 */
import { isFinal } from '../lifecycle/states.js';
import type { Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import type { FileAccess } from '../ports/files.js';
import type { Logger } from '../ports/logger.js';
import type { Scheduler } from './_scheduler.js';

/**
 * Removes staged copies a crash left behind: partial ones, and those whose record is final (the removal after
 * ARCHIVED did not happen) or unknown. The staging directory belongs to one ingestor.
 */
export async function cleanStaging(files: FileAccess, catalog: Catalog, staging: string, logger: Logger): Promise<void> {
  let names: string[];
  try {
    names = await files.list(staging);
  } catch {
    return; // no staging directory yet
  }
  for (const path of names) {
    const match = /\.([0-9a-fA-F-]{8,})\.fits(\.part)?$/.exec(path);
    const record = match ? await catalog.getRecord(match[1]!) : undefined;
    const keep = record !== undefined && !isFinal(record.state) && record.staged === path;
    if (!keep) {
      await files.remove(path);
      logger.info('removed a staged copy left by an earlier run', { path });
    }
  }
}

/** What {@link claimWork} needs. */
export interface ClaimDeps {
  catalog: Catalog;
  clock: Clock;
  scheduler: Scheduler;
  owner: string;
  leaseMs: number;
}

/**
 * Claims unfinished work from the catalog (this worker's own leases first: a restart resumes them) and queues
 * every record not already held here.
 */
export async function claimWork(deps: ClaimDeps): Promise<void> {
  const { catalog, clock, scheduler, owner, leaseMs } = deps;
  const limit = 100;
  for (;;) {
    const claimed = await catalog.claim({ owner, now: clock.now(), leaseMs, limit });
    // Records this process already holds (running, queued, waiting for their time) keep their schedule. Claims
    // hand our own leases back first, so stop as soon as a batch brings nothing new (else this loops forever).
    let fresh = 0;
    for (const record of claimed) {
      if (scheduler.holds(record.id)) continue;
      scheduler.enqueue(record.id);
      fresh++;
    }
    if (claimed.length < limit || fresh === 0) return;
  }
}
