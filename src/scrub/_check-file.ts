/**
 * Checking one archived file (one version): every local copy read once and compared with the catalog; each good
 * copy's `verifiedAt` refreshed; each bad one a problem, a history entry and an alert; with `repair`, each bad one
 * rebuilt from a good copy (a whole file first, else a media member) and read back; with no good copy left, the
 * file is LOST. Internal to src/scrub.
 *
 * @module
 */
import { toIngestError } from '../core/errors.js';
import type { ArchivedFile, Catalog, FileLocation } from '../core/ports/catalog.js';
import type { Clock } from '../core/ports/clock.js';
import { copiesOf, verifyCopy, type CopyRef, type CopyVerdict } from './_copies.js';
import { recordEvent, type ScrubAlert } from './_events.js';
import { repairCopy } from './_repair.js';
import { FILESYSTEM_TRANSPORT, restoreSidecar } from '../adapters/transports/filesystem.js';
import { addLocationTo } from '../core/ports/catalog-fallbacks.js';

/** One problem the scrub found, as `--json` prints it. */
export interface ScrubProblem {
  /** The archived file's id; null for a file the catalog does not know. */
  archiveId: string | null;
  uri: string;
  problem: 'CORRUPT' | 'MISSING' | 'UNCATALOGED';
  detail: string;
  /** The record of the version concerned. */
  recordId?: string;
  /** Byte offset of the damage (in the volume file for media members). */
  offset?: number;
  hdu?: number;
  /** No good copy of the file is left. */
  lost?: boolean;
  /** Rebuilt by `--repair`: from which copy, and where the bad bytes were kept. */
  repaired?: { from: string; keptAside?: string; sidecar?: string };
}

/** What checking a file needs from the scrub run. */
export interface CheckContext {
  catalog: Catalog;
  clock: Clock;
  repair: boolean;
  actor: string;
  gate(chunk: Uint8Array): Promise<void>;
  signal?: AbortSignal;
  alert(alert: ScrubAlert): void;
  /** Counters of the run. */
  counts: { copies: number; verified: number; bytes: number; remote: number };
}

async function markVerified(context: CheckContext, file: ArchivedFile, location: FileLocation, at: number): Promise<void> {
  const { catalog } = context;
  if (catalog.markVerified) await catalog.markVerified(file.recordId, location.uri, at);
  else if ((await catalog.getArchived(file.archiveId))?.recordId === file.recordId) await addLocationTo(catalog, file.archiveId, { ...location, verifiedAt: at });
}

/** Checks (and with `repair`, repairs) every local copy of `file`; resolves to the problems found (repaired ones included). */
export async function checkFile(context: CheckContext, file: ArchivedFile): Promise<ScrubProblem[]> {
  const { local, remote } = copiesOf(file);
  context.counts.remote += remote.length;
  const good: CopyRef[] = [];
  const bad: { copy: CopyRef; verdict: CopyVerdict; problem: ScrubProblem }[] = [];
  for (const copy of local) {
    const verdict = await verifyCopy(copy, context.gate, context.signal);
    context.counts.copies++;
    context.counts.bytes += verdict.bytes;
    if (verdict.status === 'ok') {
      context.counts.verified++;
      good.push(copy);
      await markVerified(context, file, copy.location, context.clock.now());
      continue;
    }
    const problem: ScrubProblem = {
      archiveId: file.archiveId,
      uri: copy.location.uri,
      problem: verdict.status === 'missing' ? 'MISSING' : 'CORRUPT',
      detail: verdict.detail ?? verdict.status,
      recordId: file.recordId,
      ...(verdict.offset !== undefined ? { offset: verdict.offset } : {}),
      ...(verdict.hdu !== undefined ? { hdu: verdict.hdu } : {}),
    };
    bad.push({ copy, verdict, problem });
    await recordEvent(context.catalog, file.recordId, `SCRUB_${problem.problem}`, `${problem.uri}: ${problem.detail}`, context.clock.now(), context.actor);
    context.alert({ problem: problem.problem, archiveId: file.archiveId, uri: problem.uri, detail: problem.detail });
  }
  if (bad.length === 0) return [];
  if (good.length === 0) {
    const unchecked = remote.length > 0 ? ` (copies not checked from here: ${remote.map((l) => l.uri).join(', ')})` : '';
    const detail = `LOST: no good copy of ${file.archiveId} is left among ${local.length} local copies${unchecked}`;
    for (const { problem } of bad) problem.lost = true;
    await recordEvent(context.catalog, file.recordId, 'SCRUB_LOST', detail, context.clock.now(), context.actor);
    context.alert({ problem: 'LOST', archiveId: file.archiveId, uri: bad[0]!.copy.location.uri, detail });
    return bad.map((b) => b.problem);
  }
  if (!context.repair) return bad.map((b) => b.problem);
  const source = good.find((c) => c.kind === 'file') ?? good[0]!;
  for (const { copy, problem } of bad) {
    try {
      const aside = await repairCopy(copy, source, context.clock.now(), context.gate, context.signal);
      const again = await verifyCopy(copy, context.gate, context.signal);
      context.counts.bytes += again.bytes;
      if (again.status !== 'ok') {
        problem.detail += `; the rebuilt copy does not verify: ${again.detail ?? again.status}`;
        continue;
      }
      await markVerified(context, file, copy.location, context.clock.now());
      problem.repaired = { from: source.location.uri, ...(aside ? { keptAside: aside } : {}) };
      // The filesystem transport keeps a sidecar beside each file; a copy rebuilt because it was lost gets it back.
      const sidecar = copy.kind === 'file' && copy.location.transport === FILESYSTEM_TRANSPORT && (await restoreSidecar(copy.path, file, context.actor, context.clock.now()));
      if (sidecar) problem.repaired.sidecar = `${copy.path}.json`;
      const kept = `${aside ? `; the bad bytes are kept in ${aside}` : ''}${sidecar ? `; its sidecar ${copy.path}.json was written again from the catalog` : ''}`;
      await recordEvent(context.catalog, file.recordId, 'SCRUB_REPAIRED', `${copy.location.uri} rebuilt from ${source.location.uri}${kept}`, context.clock.now(), context.actor);
      context.alert({ problem: 'REPAIRED', archiveId: file.archiveId, uri: copy.location.uri, detail: `rebuilt from ${source.location.uri}${kept}` });
    } catch (error) {
      problem.detail += `; repair failed: ${toIngestError(error).message}`;
    }
  }
  return bad.map((b) => b.problem);
}
