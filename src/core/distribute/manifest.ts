/**
 * The package manifest: a JSON document (`manifest.json`) and a printable listing (`MANIFEST.txt`) of every file
 * of the package with its size and SHA-256 and, when written to volumes, the volume and tar member that hold it.
 *
 * @module
 */
import type { DistributionFormat, PackageRole } from './plan.js';

/** Format tag of `manifest.json`. */
export const DISTRIBUTION_FORMAT = 'fits-ingest-distribution/1';

/** One copy of a file on a volume. */
export interface ManifestCopy {
  volume: string;
  copy: number;
  member: number;
  offset: number;
}

/** One file of the package. */
export interface ManifestFile {
  /** Relative path in the package folder, and member name on volumes (`/` separators). */
  path: string;
  /** `unwrapped`: the original file of a FOREIGN attachment, restored next to its wrapper. */
  /** `chart`: the weather chart's script, data and library (uPlot), under `weather/`. */
  kind: 'data' | 'thumbnail' | 'header' | 'unwrapped' | 'chart';
  archiveId?: string;
  /** HDU of a thumbnail or split file. */
  hdu?: number;
  size: number;
  sha256: string;
  /** Volume and 1-based tar member of the first copy (volumes only). */
  volume?: string;
  member?: number;
  serial?: number;
  copies?: ManifestCopy[];
}

/** A thumbnail of one image HDU. */
export interface ManifestThumbnail {
  path: string;
  hdu: number;
  width: number;
  height: number;
  /** zscale display range. */
  z1: number;
  z2: number;
}

/** One archived file of the package. */
export interface ManifestFrame {
  archiveId: string;
  role: PackageRole;
  instrument: string;
  night: string;
  dateObs?: string;
  imageType?: string;
  object?: string;
  originalName: string;
  program?: string;
  reasons: string[];
  note?: string;
  status: 'ok' | 'missing';
  /** Why a missing frame is missing. */
  problem?: string;
  /** Paths of its data files (one, or one per HDU when split). */
  data: string[];
  thumbnails: ManifestThumbnail[];
  /** Path of the header listing. */
  header?: string;
  /** HDUs without a thumbnail, and why. */
  noThumbnail: { hdu: number; reason: string }[];
}

/** A volume of the package. */
export interface ManifestVolume {
  label: string;
  /** File names of its copies. */
  files: string[];
  size: number;
  firstSerial: number;
  lastSerial: number;
  members: number;
}

/** `manifest.json`. */
export interface DistributionManifest {
  format: typeof DISTRIBUTION_FORMAT;
  program: string;
  nightFrom?: string;
  nightTo?: string;
  packageFormat: DistributionFormat;
  nights: string[];
  createdAt: string;
  output: 'folder' | 'volumes';
  volumes?: ManifestVolume[];
  frames: ManifestFrame[];
  files: ManifestFile[];
  notes: string[];
}

/** Column layout of the listing; the test suite parses it back. */
export const MANIFEST_COLUMNS = ['VOLUME', 'MEMBER', 'SIZE', 'SHA256', 'PATH'] as const;

/** The printable listing: a summary, one line per file (volume, member, size, SHA-256, path), missing files, notes. */
export function manifestText(manifest: DistributionManifest): string {
  const count = (role: string) => manifest.frames.filter((f) => f.role === role).length;
  const lines = [
    `fits-ingest distribution package — program ${manifest.program}`,
    `nights ${manifest.nights.join(', ')}   format ${manifest.packageFormat}   output ${manifest.output}   created ${manifest.createdAt}`,
    `${manifest.frames.length} archived files: ${count('science')} science, ${count('product')} products, ${count('calibration')} calibrations, ` +
      `${count('attachment')} attachments; ${manifest.files.length} files, ${manifest.files.reduce((n, f) => n + f.size, 0)} bytes` +
      (manifest.volumes ? ` on ${manifest.volumes.length} volumes` : ''),
    '',
  ];
  const rows = manifest.files.map((f) => [f.volume ?? '-', f.member === undefined ? '-' : String(f.member), String(f.size), f.sha256, f.path]);
  const widths = MANIFEST_COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : i === 4 ? c : c.padEnd(widths[i]!))).join('  ');
  lines.push(line(MANIFEST_COLUMNS), ...rows.map(line));
  const missing = manifest.frames.filter((f) => f.status === 'missing');
  if (missing.length) lines.push('', 'MISSING (not in the package)', ...missing.map((f) => `  ${f.archiveId}  ${f.problem ?? ''}`));
  if (manifest.volumes?.length) {
    lines.push('', 'VOLUMES', ...manifest.volumes.map((v) => `  ${v.label}  serials ${v.firstSerial}-${v.lastSerial}  ${v.members} members  ${v.size} bytes  ${v.files.join(' ')}`));
  }
  if (manifest.notes.length) lines.push('', 'NOTES', ...manifest.notes.map((n) => `  ${n}`));
  return `${lines.join('\n')}\n`;
}
