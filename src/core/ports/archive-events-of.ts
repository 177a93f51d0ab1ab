/**
 * The archive events a transition makes (the catalog stores them in the same transaction as the history entry),
 * and the filter readers use.
 *
 * @module
 */
import type { CardJson } from '../fits/header.js';
import type { FileRecord, HistoryEntry } from '../lifecycle/record.js';
import type { ArchiveEventKind, EventFilter, NewArchiveEvent } from './archive-events.js';
import type { ArchivedFile } from './catalog.js';

/** Transitions that make an event, by the state they reach. */
const KIND_OF: Partial<Record<HistoryEntry['to'], ArchiveEventKind>> = {
  ARCHIVED: 'archived',
  SUPERSEDED: 'superseded',
  INVALID: 'invalid',
  ABANDONED: 'abandoned',
};

/** True when a transition makes an archive event. */
export const isEventState = (entry: Pick<HistoryEntry, 'from' | 'to'>): boolean => KIND_OF[entry.to] !== undefined && entry.from !== entry.to;

const objectOf = (file: ArchivedFile | undefined): string | null => {
  const column = file?.columns['object'];
  if (typeof column === 'string') return column;
  const card = file?.header.find((c: CardJson) => c.keyword === 'OBJECT');
  return typeof card?.value === 'string' ? card.value : null;
};

/**
 * The event a transition makes, or undefined when it makes none. `file` is the archived file of the transition
 * (ARCHIVED), or of the same archive id (SUPERSEDED: the new version, for its observation fields).
 */
export function eventOf(record: FileRecord, entry: HistoryEntry, file?: ArchivedFile): NewArchiveEvent | undefined {
  const kind = KIND_OF[entry.to];
  // A transition that stays in its state (a warning, pruning a superseded version's bytes) is no new event.
  if (!kind || entry.from === entry.to) return undefined;
  const event: NewArchiveEvent = {
    kind,
    at: entry.at,
    recordId: record.id,
    archiveId: record.archiveId ?? file?.archiveId ?? null,
    instrument: record.instrument ?? file?.instrument ?? null,
    level: record.level,
    night: record.night ?? file?.night ?? null,
    program: file?.program ?? null,
    imageType: file?.imageType ?? null,
    object: objectOf(file),
    releaseDate: file?.releaseDate ?? null,
    parents: [...record.parents],
    sha256: kind === 'archived' ? (file?.sha256 ?? record.sha256 ?? null) : (record.sha256 ?? null),
    size: kind === 'archived' ? (file?.size ?? record.stagedSize ?? null) : (record.stagedSize ?? null),
    originalName: record.originalName,
  };
  if (kind === 'superseded' && record.supersededBy !== undefined) event.supersededBy = record.supersededBy;
  if ((kind === 'invalid' || kind === 'abandoned') && record.error) event.error = { code: record.error.code, message: record.error.message };
  return event;
}

/** True when `event` passes `filter`. */
export function matchesEvent(event: NewArchiveEvent, filter: EventFilter): boolean {
  return (
    (filter.kinds === undefined || filter.kinds.includes(event.kind)) &&
    (filter.instrument === undefined || event.instrument === filter.instrument) &&
    (filter.level === undefined || event.level === filter.level) &&
    (filter.program === undefined || event.program === filter.program) &&
    (filter.imageType === undefined || event.imageType?.toLowerCase() === filter.imageType.toLowerCase())
  );
}
