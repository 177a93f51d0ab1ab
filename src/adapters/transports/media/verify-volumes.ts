/**
 * `verifyVolumes`: reads every member of the given volumes back and checks it — size, SHA-256 and every HDU's
 * DATASUM/CHECKSUM — against the catalog (when given, for members with an archive id) or the volume's own index;
 * then checks the serial numbers across the volumes for gaps and repeats (copies of one volume count once).
 * Failures name the volume, member, serial and byte offset; one bad volume or member never stops the others.
 *
 * @module
 */
import { IngestError, toIngestError } from '../../../core/errors.js';
import type { Catalog } from '../../../core/ports/catalog.js';
import { withFileForReading } from '../../../io/durable-fs.js';
import { checkMember, readMember, type Expected } from './_member-read.js';
import type { IndexEntry, VolumeIndex } from './_volume-index.js';
import { readVolumeHandle } from './read-volume.js';

/** Options of {@link verifyVolumes}. */
export interface VerifyVolumesOptions {
  /** Check members with an archive id against this catalog instead of the index. @default undefined */
  catalog?: Catalog;
  /** Called after each member. @default undefined */
  onMember?: (result: { volume: string; entry: IndexEntry; error?: IngestError }) => void;
}

/** The verdict on the volumes. */
export interface VerifyVolumesReport {
  /** Volumes read, with their label, copy and member count. */
  volumes: { path: string; label: string; copy: number; members: number; firstSerial: number; lastSerial: number }[];
  /** Members checked (all copies). */
  checked: number;
  /** Every failure: damaged volumes, corrupt members, sequence gaps and repeats. */
  failures: IngestError[];
  /** Serial numbers missing between the lowest and highest seen, as inclusive ranges. */
  gaps: [number, number][];
  /** Serial numbers held by more than one volume label, with the labels. */
  repeats: { serial: number; volumes: string[] }[];
  ok: boolean;
}

async function expectedOf(entry: IndexEntry, catalog: Catalog | undefined, volume: string): Promise<Expected | IngestError> {
  if (!catalog || entry.archiveId === undefined) return { size: entry.size, sha256: entry.sha256, ...(entry.hdus ? { hdus: entry.hdus } : {}), from: 'index' };
  const file = await catalog.getArchived(entry.archiveId);
  if (!file) {
    return new IngestError('NOT_FOUND', `member ${entry.member} (${entry.name}, serial ${entry.serial}): archive id ${entry.archiveId} is not in the catalog`, {
      context: { file: volume, offset: entry.offset, member: entry.member, serial: entry.serial, archiveId: entry.archiveId },
      hint: 'rebuild the catalog entries from the volumes with fits-ingest media index',
    });
  }
  return { size: file.size, sha256: file.sha256, hdus: file.hdus, from: 'catalog' };
}

/** Gaps and repeats of the serials of one volume set. */
export function checkSequence(indexes: readonly VolumeIndex[]): Pick<VerifyVolumesReport, 'gaps' | 'repeats'> {
  const byLabel = new Map<string, number[]>();
  for (const index of indexes) if (!byLabel.has(index.label)) byLabel.set(index.label, index.members.map((m) => m.serial));
  const holders = new Map<number, string[]>();
  for (const [label, serials] of byLabel) for (const s of serials) holders.set(s, [...(holders.get(s) ?? []), label]);
  const repeats = [...holders].filter(([, labels]) => labels.length > 1).map(([serial, volumes]) => ({ serial, volumes }));
  const sorted = [...holders.keys()].sort((a, b) => a - b);
  const gaps: [number, number][] = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! > sorted[i - 1]! + 1) gaps.push([sorted[i - 1]! + 1, sorted[i]! - 1]);
  return { gaps, repeats: repeats.sort((a, b) => a.serial - b.serial) };
}

/** Reads back and checks every member of `paths`. Never throws for a bad volume: it is a failure in the report. */
export async function verifyVolumes(paths: readonly string[], options: VerifyVolumesOptions = {}): Promise<VerifyVolumesReport> {
  const report: VerifyVolumesReport = { volumes: [], checked: 0, failures: [], gaps: [], repeats: [], ok: false };
  const indexes: VolumeIndex[] = [];
  for (const path of paths) {
    try {
      await withFileForReading(path, async (handle) => {
        const { index } = await readVolumeHandle(handle, path);
        indexes.push(index);
        report.volumes.push({ path, label: index.label, copy: index.copy, members: index.members.length, firstSerial: index.firstSerial, lastSerial: index.lastSerial });
        for (const entry of index.members) {
          const expected = await expectedOf(entry, options.catalog, path);
          const error = expected instanceof IngestError ? expected : checkMember(path, entry, await readMember(handle, path, entry), expected);
          report.checked++;
          if (error) report.failures.push(error);
          options.onMember?.({ volume: path, entry, ...(error ? { error } : {}) });
        }
      });
    } catch (error) {
      report.failures.push(toIngestError(error, { file: path }));
    }
  }
  const { gaps, repeats } = checkSequence(indexes);
  report.gaps = gaps;
  report.repeats = repeats;
  for (const [from, to] of gaps) {
    report.failures.push(new IngestError('MEDIA_SEQUENCE', `serial numbers ${from === to ? from : `${from}–${to}`} are on none of the volumes given`, { context: { serial: from } }));
  }
  for (const { serial, volumes } of repeats) {
    report.failures.push(new IngestError('MEDIA_SEQUENCE', `serial number ${serial} is on volumes ${volumes.join(' and ')}`, { context: { serial, file: volumes[0] } }));
  }
  report.ok = report.failures.length === 0;
  return report;
}
