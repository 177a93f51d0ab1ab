/**
 * The operator monitor's view of the work around ingestion: the processing areas and what runs in each, the
 * reprocessing request queue, the hosts holding leases on a shared catalog, and where the scrub stands (its
 * cursor file and the age of the oldest verification). Internal to src/adapters/http.
 *
 * @module
 */
import { join } from 'node:path';
import type { Catalog, LeaseHolder } from '../../../core/ports/catalog.js';
import type { ProcessingService, RequestView } from '../../../processing/service.js';
import type { QuickLook, QuickLookStatus } from '../../../processing/quicklook.js';
import { fileCursor, scrubCoverage, type ScrubCoverage, type ScrubCursor } from '../../../scrub/index.js';

/** One request as the monitor lists it. */
export interface RequestRow {
  id: string;
  state: string;
  instrument: string;
  requester: string;
  priority: number;
  position: number | null;
  area: string | null;
  inputs: string[];
  reason: string | null;
  createdAt: number;
  startedAt: number | null;
}

/** What the monitor shows besides files. */
export interface OperationsSnapshot {
  /** Null when the server offers no reprocessing. */
  processing: { areas: { name: string; request: RequestRow | null }[]; queue: RequestRow[]; queued: number; recent: RequestRow[] } | null;
  /** Null when the catalog cannot tell (no `leaseHolders`). */
  hosts: LeaseHolder[] | null;
  /** Null without an archive root (where the scrub keeps its cursor). */
  scrub: { cursor: ScrubCursor | null; checked: number; total: number; coverage: ScrubCoverage; at: number } | null;
  /** Null when the server runs no quick-look: the latency readout (file complete → ARCHIVED → quick-look ARCHIVED). */
  quicklook: QuickLookStatus | null;
}

const row = (r: RequestView): RequestRow => ({
  id: r.id,
  state: r.state,
  instrument: r.instrument,
  requester: r.requester,
  priority: r.priority,
  position: r.position ?? null,
  area: r.area ?? null,
  inputs: r.inputs.map((i) => i.archiveId),
  reason: r.reason ?? null,
  createdAt: r.createdAt,
  startedAt: r.startedAt ?? null,
});

/** Reads the monitor's operations view; the scrub's figures (a walk of the catalog) are kept for `scrubCacheMs`. */
export function operationsReader(deps: { catalog: Catalog; processing?: ProcessingService | undefined; quickLook?: QuickLook | undefined; archiveRoot?: string | undefined; scrubCacheMs?: number }) {
  let scrubCache: (NonNullable<OperationsSnapshot['scrub']> & { archived: number }) | undefined;

  async function scrub(now: number): Promise<OperationsSnapshot['scrub']> {
    if (!deps.archiveRoot) return null;
    // The cursor is a small file, read each time; the walk of the catalog is redone when it moved or has aged.
    const cursor = (await fileCursor(join(deps.archiveRoot, '.scrub-cursor.json')).load().catch(() => undefined)) ?? null;
    const archived = (await deps.catalog.counts()).ARCHIVED;
    if (scrubCache && scrubCache.cursor?.savedAt === cursor?.savedAt && scrubCache.archived === archived && now - scrubCache.at < (deps.scrubCacheMs ?? 30_000)) {
      const { archived: _archived, ...shown } = scrubCache;
      return shown;
    }
    const ids = (await deps.catalog.findArchived({ limit: 10_000_000 })).map((f) => f.archiveId);
    const checked = cursor && cursor.after !== '' ? ids.filter((id) => id <= cursor.after).length : 0;
    scrubCache = { cursor, checked, total: ids.length, coverage: await scrubCoverage(deps.catalog, now), at: now, archived };
    const { archived: _archived, ...shown } = scrubCache;
    return shown;
  }

  return async function read(now: number): Promise<OperationsSnapshot> {
    let processing: OperationsSnapshot['processing'] = null;
    if (deps.processing) {
      const active = await deps.processing.list({ states: ['QUEUED', 'RUNNING'] });
      const running = active.filter((r) => r.state === 'RUNNING');
      const queued = active.filter((r) => r.state === 'QUEUED').sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
      const recent = (await deps.processing.list({ states: ['DONE', 'FAILED', 'CANCELLED'] })).sort((a, b) => b.updatedAt - a.updatedAt).slice(0, 10);
      processing = {
        areas: deps.processing.areas.map((area) => {
          const r = running.find((x) => x.area === area.name);
          return { name: area.name, request: r ? row(r) : null };
        }),
        queue: queued.slice(0, 50).map(row),
        queued: queued.length,
        recent: recent.map(row),
      };
    }
    const hosts = deps.catalog.leaseHolders ? await deps.catalog.leaseHolders(now) : null;
    const quicklook = deps.quickLook ? await deps.quickLook.status() : null;
    return { processing, hosts, scrub: await scrub(now), quicklook };
  };
}
