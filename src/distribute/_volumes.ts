/**
 * A package on tar volumes: its files handed to the media transport's `writeVolumes` (N copies, a maximum volume
 * size, one serial sequence), and the manifest completed with each file's volume, member and serial. A file the
 * transport refuses (changed bytes, too large for a volume) makes its archived file `missing`.
 * Internal to src/distribute.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeVolumes } from '../adapters/transports/media/write-volumes.js';
import type { DistributionManifest } from '../core/distribute/manifest.js';

/** How a package goes onto tar volumes (`WriteDistributionOptions.volumes`). */
export interface DistributionVolumes {
  /** Maximum volume size: bytes, or `4G`, `700M`. */
  volumeSize: number | string;
  /** @default 1 */
  copies?: number;
  /** Volume labels: this prefix and six digits. @default 'DP' */
  labelPrefix?: string;
}

/** A file to put on the volumes. */
export interface VolumeSource {
  path: string;
  sha256: string;
  size: number;
  archiveId?: string;
}

export async function toVolumes(
  manifest: DistributionManifest,
  sources: ReadonlyMap<string, VolumeSource>,
  dir: string,
  options: DistributionVolumes,
  now: number,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const items = [...sources].map(([member, s]) => ({ member, path: s.path, sha256: s.sha256, size: s.size }));
  const report = await writeVolumes(items, {
    out: dir,
    volumeSize: options.volumeSize,
    copies: options.copies ?? 1,
    labelPrefix: options.labelPrefix ?? 'DP',
    now: () => now,
  });
  const written = new Map(report.items.map((item) => [item.member, item]));
  for (const file of manifest.files) {
    const item = written.get(file.path);
    if (!item) continue;
    const first = item.placements[0]!;
    file.volume = first.volume;
    file.member = first.member;
    file.serial = item.serial;
    file.copies = item.placements.map((p) => ({ volume: p.volume, copy: p.copy, member: p.member, offset: p.offset }));
  }
  for (const failure of report.failed) {
    const file = manifest.files.find((f) => f.path === failure.member);
    const frame = manifest.frames.find((f) => f.archiveId === file?.archiveId);
    if (frame && frame.status === 'ok') {
      frame.status = 'missing';
      frame.problem = `${failure.member} could not be written to a volume: ${failure.error.message}`;
    }
  }
  manifest.files = manifest.files.filter((f) => written.has(f.path));
  manifest.volumes = report.volumes.map((v) => ({
    label: v.label,
    files: v.paths.map((p) => basename(p)),
    size: v.size,
    firstSerial: v.firstSerial,
    lastSerial: v.lastSerial,
    members: v.members,
  }));
}
