/**
 * What the archive tells senders about their files: the status of one ingestion with its timing metrics, taken
 * from the catalog history (received → queued → prepared → verified → archived), per file and per night.
 * Internal to src/adapters/http.
 *
 * @module
 */
import type { FileRecord, HistoryEntry } from '../../core/lifecycle/record.js';
import { isFinal, STATES, type StateName } from '../../core/lifecycle/states.js';
import type { ArchivedFile, Catalog } from '../../core/ports/catalog.js';
import type { IngestStatus, Metrics } from './protocol.js';
import type { ReceivedFile } from './_received.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Timing metrics from a record's history (the last time each state was entered). */
export function metricsOf(record: FileRecord, history: readonly HistoryEntry[]): Metrics {
  const last = (state: StateName) => history.findLast((h) => h.to === state)?.at;
  const received = typeof record.metadata['receivedAt'] === 'number' ? record.metadata['receivedAt'] : undefined;
  const queued = history.find((h) => h.to === 'DETECTED')?.at;
  const archived = record.state === 'ARCHIVED' || record.state === 'SUPERSEDED' ? last('ARCHIVED') : undefined;
  const start = received ?? queued;
  return {
    receivedAt: iso(received),
    queuedAt: iso(queued),
    preparedAt: iso(last('PREPARED')),
    verifiedAt: iso(last('TRANSFERRED')),
    archivedAt: iso(archived),
    receiveToArchiveMs: archived !== undefined && start !== undefined ? archived - start : null,
  };
}

/** The status of one record, as the protocol reports it. */
export async function recordStatus(catalog: Catalog, record: FileRecord, alreadyArchived = false): Promise<IngestStatus> {
  const history = await catalog.history(record.id);
  let duplicateOf: IngestStatus['duplicateOf'] = null;
  if (record.duplicateOf !== undefined) {
    const original = await catalog.getRecord(record.duplicateOf);
    duplicateOf = { recordId: record.duplicateOf, archiveId: original?.archiveId ?? null };
  }
  const uploaded = record.metadata['announcedSha256'];
  return {
    recordId: record.id,
    state: record.state,
    final: isFinal(record.state),
    archiveId: record.archiveId ?? null,
    instrument: record.instrument ?? null,
    level: record.level,
    parents: record.parents,
    night: record.night ?? null,
    originalName: record.originalName,
    sha256: record.sourceSha256 ?? (typeof uploaded === 'string' ? uploaded : null),
    archivedSha256: record.sha256 ?? null,
    size: record.stagedSize ?? null,
    alreadyArchived,
    duplicateOf,
    error: record.error ? { code: record.error.code, kind: record.error.kind, message: record.error.message } : null,
    warnings: record.warnings.map((w) => w.code),
    warningDetails: record.warnings.map((w) => ({ code: w.code, message: w.message, ...(w.keyword !== undefined ? { keyword: w.keyword } : {}) })),
    site: typeof record.metadata['site'] === 'string' ? record.metadata['site'] : null,
    metrics: metricsOf(record, history),
  };
}

/** The record that archived (or is archiving) an archive id, newest first. */
export async function recordForArchiveId(catalog: Catalog, archiveId: string): Promise<FileRecord | undefined> {
  const archived = await catalog.getArchived(archiveId);
  if (archived) return catalog.getRecord(archived.recordId);
  const [latest] = await catalog.findRecords({ archiveId, newestFirst: true, limit: 1 });
  return latest;
}

/** `GET /v1/files/{archiveId}`: what arrived under the id, its ingestion, and its history. */
export interface FileView {
  archiveId: string;
  received: { sha256: string; size: number; name: string; site: string; receivedAt: string } | null;
  ingest: IngestStatus | null;
  /** Where the bytes can be read (`GET /v1/files/{archiveId}/content`), when the archive holds them. */
  content: string | null;
  history: { at: string; from: StateName | null; to: StateName; cause: string; actor: string; code?: string; message?: string }[];
}

export async function fileView(catalog: Catalog, archiveId: string, received: ReceivedFile | undefined, contentPath: string): Promise<FileView | undefined> {
  const record = await recordForArchiveId(catalog, archiveId);
  if (!record && !received) return undefined;
  const history = record ? await catalog.history(record.id) : [];
  const holds = (record && (record.state === 'ARCHIVED' || record.state === 'SUPERSEDED')) || received !== undefined;
  return {
    archiveId,
    received: received
      ? { sha256: received.sha256, size: received.size, name: received.name, site: received.site, receivedAt: new Date(received.receivedAt).toISOString() }
      : null,
    ingest: record ? await recordStatus(catalog, record) : null,
    content: holds ? contentPath : null,
    history: history.map((h) => ({
      at: new Date(h.at).toISOString(),
      from: h.from,
      to: h.to,
      cause: h.cause,
      actor: h.actor,
      ...(h.code !== undefined ? { code: h.code } : {}),
      ...(h.message !== undefined ? { message: h.message } : {}),
    })),
  };
}

/** `GET /v1/nights/{night}`: every file of a night the caller may read, counts by state, and held products. */
export async function nightView(
  catalog: Catalog,
  night: string,
  held: number,
  mayRead: (record: FileRecord, archived?: ArchivedFile) => boolean | Promise<boolean>,
): Promise<{ night: string; counts: Record<StateName, number>; held: number; files: IngestStatus[] }> {
  const archived = await catalog.findArchived({ nightFrom: night, nightTo: night, limit: 100_000 });
  const others = await catalog.findRecords({ states: STATES.filter((s) => s !== 'ARCHIVED'), limit: 100_000 });
  const records: [FileRecord, ArchivedFile | undefined][] = [];
  for (const file of archived) {
    const record = await catalog.getRecord(file.recordId);
    if (record) records.push([record, file]);
  }
  for (const r of others) if (r.night === night) records.push([r, undefined]);
  const visible: FileRecord[] = [];
  for (const [record, file] of records) if (await mayRead(record, file)) visible.push(record);
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<StateName, number>;
  for (const r of visible) counts[r.state]++;
  const files = await Promise.all(visible.map((r) => recordStatus(catalog, r)));
  files.sort((a, b) => (a.archiveId ?? '').localeCompare(b.archiveId ?? ''));
  return { night, counts, held, files };
}
