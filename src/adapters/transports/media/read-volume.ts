/**
 * Reading a volume's self-description: its tar members (walked header by header), its label (first member) and
 * its index (last member), checked against each other so that every index entry's offset and size are where the
 * tar headers say.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { IngestError } from '../../../core/errors.js';
import { withFileForReading } from '../../../io/durable-fs.js';
import { listMembers, type TarMember } from './_tar.js';
import {
  indexMemberName,
  labelMemberName,
  parseVolumeJson,
  volumeIndexSchema,
  volumeLabelSchema,
  type VolumeIndex,
} from './_volume-index.js';

export type { IndexEntry, VolumeIndex, VolumeLabel } from './_volume-index.js';
export { MEDIA_FORMAT } from './_volume-index.js';

/** A volume as read by {@link readVolume}. */
export interface VolumeContents {
  /** The volume file. */
  path: string;
  /** Size of the volume file. */
  size: number;
  index: VolumeIndex;
  members: TarMember[];
}

async function readText(handle: FileHandle, member: TarMember): Promise<string> {
  const buffer = Buffer.alloc(member.size);
  await handle.read(buffer, 0, member.size, member.offset);
  return buffer.toString('utf8');
}

function bad(path: string, detail: string, offset?: number): IngestError {
  return new IngestError('MEDIA_BAD_INDEX', detail, { context: { file: path, offset } });
}

/** Reads a volume's members, label and index on an open handle. */
export async function readVolumeHandle(handle: FileHandle, path: string): Promise<VolumeContents> {
  const { size } = await handle.stat();
  const members = await listMembers(handle, path, size);
  const first = members[0];
  const last = members.at(-1);
  if (!first || !last || members.length < 2) throw bad(path, `the volume has ${members.length} members; a volume has at least its label and its index`);
  const label = parseVolumeJson(volumeLabelSchema, await readText(handle, first), path, 'label');
  if (first.name !== labelMemberName(label.label)) throw bad(path, `the first member is ${first.name}, not the label`, first.headerOffset);
  if (last.name !== indexMemberName(label.label)) throw bad(path, `the last member is ${last.name}, not ${indexMemberName(label.label)}`, last.headerOffset);
  const index = parseVolumeJson(volumeIndexSchema, await readText(handle, last), path, 'index');
  if (index.label !== label.label || index.copy !== label.copy || index.firstSerial !== label.firstSerial) {
    throw bad(path, 'the index does not belong to the label (label, copy or first serial differ)', last.offset);
  }
  for (const entry of index.members) {
    const member = members[entry.member - 1];
    if (!member || member.name !== entry.name || member.offset !== entry.offset || member.size !== entry.size) {
      throw bad(path, `index entry serial ${entry.serial} (${entry.name}) is not at member ${entry.member}, byte ${entry.offset} as recorded`, entry.offset);
    }
  }
  return { path, size, index, members };
}

/** Reads a volume file's members, label and index. Throws MEDIA_BAD_INDEX or TRUNCATED naming the volume. */
export function readVolume(path: string): Promise<VolumeContents> {
  return withFileForReading(path, (handle) => readVolumeHandle(handle, path));
}
