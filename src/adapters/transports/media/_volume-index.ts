/**
 * The JSON members that make a volume self-describing: the label (first member, `<LABEL>.label.json`) and the
 * index (last member, `<LABEL>.index.json`) that lists every data member with its serial number, size, SHA-256,
 * byte offset, and what the catalog needs to rebuild the archived file (`file`). Parsed with zod, so a damaged
 * index fails with an error naming the volume. Internal to src/adapters/transports/media.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../../core/errors.js';

/** Format tag in every label and index. */
export const MEDIA_FORMAT = 'fits-ingest-media/1';

const hduSumsSchema = z.object({ index: z.int(), datasum: z.number(), checksum: z.string() });

/** One data member as the index lists it. */
export const indexEntrySchema = z.object({
  serial: z.int().positive(),
  /** 1-based position among the volume's tar members (the label is 1). */
  member: z.int().positive(),
  name: z.string(),
  size: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Byte offset of the data in the volume file. */
  offset: z.int().nonnegative(),
  /** Byte offset of the member's first header block. */
  headerOffset: z.int().nonnegative(),
  archiveId: z.string().optional(),
  hdus: z.array(hduSumsSchema).optional(),
  /** Catalog fields the FITS header cannot give (instrument, night, original name, level, parents…). */
  file: z.record(z.string(), z.unknown()).optional(),
});
export type IndexEntry = z.infer<typeof indexEntrySchema>;

const labelFields = {
  format: z.literal(MEDIA_FORMAT),
  label: z.string(),
  volume: z.int().positive(),
  copy: z.int().positive(),
  copies: z.int().positive(),
  createdAt: z.string(),
  firstSerial: z.int().positive(),
};

export const volumeLabelSchema = z.object(labelFields);
export type VolumeLabel = z.infer<typeof volumeLabelSchema>;

export const volumeIndexSchema = z.object({
  ...labelFields,
  /** The serial of the last member; `firstSerial - 1` for a volume without data members. */
  lastSerial: z.int().nonnegative(),
  members: z.array(indexEntrySchema),
});
export type VolumeIndex = z.infer<typeof volumeIndexSchema>;

/** Member names of the label and the index of volume `label`. */
export const labelMemberName = (label: string): string => `${label}.label.json`;
export const indexMemberName = (label: string): string => `${label}.index.json`;

/** The copy number written with a fixed width, so that copies' labels have one size and data one offset. */
const COPY_WIDTH = 3;
export const MAX_COPIES = 10 ** COPY_WIDTH - 1;

/** Label text; equal length for every copy of a volume (keys in a fixed order). */
export function labelText(label: VolumeLabel): string {
  return `${labelFieldsText(label)}}\n`;
}

function labelFieldsText(label: VolumeLabel): string {
  const { format, label: name, volume, copy, copies, createdAt, firstSerial } = label;
  const head = JSON.stringify({ format, label: name, volume, copy: 0, copies, createdAt, firstSerial });
  return head.slice(0, -1).replace('"copy":0', `"copy":${String(copy).padStart(COPY_WIDTH, ' ')}`);
}

/** The index text: the label fields and the last serial, then one member per line. */
export function indexText(label: VolumeLabel, lastSerial: number, entries: readonly string[]): string {
  return `${labelFieldsText(label)},"lastSerial":${lastSerial},"members":[\n${entries.join(',\n')}\n]}\n`;
}

/** One entry as a line of the index. */
export const entryText = (entry: IndexEntry): string => JSON.stringify(entry);

/** Parses a label or index member, or throws BAD_VOLUME_INDEX naming the volume. */
export function parseVolumeJson<S extends z.ZodType>(schema: S, text: string, file: string, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IngestError('MEDIA_BAD_INDEX', `the volume ${what} is not JSON`, { context: { file }, cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new IngestError('MEDIA_BAD_INDEX', `the volume ${what} does not follow ${MEDIA_FORMAT}: ${z.prettifyError(parsed.error)}`, {
      context: { file },
      cause: parsed.error,
    });
  }
  return parsed.data;
}
