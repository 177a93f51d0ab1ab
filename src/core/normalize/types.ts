/**
 * Types shared by the header normalizers.
 *
 * @module
 */
import type { FitsValue } from '../fits/header-card.js';
import type { Level } from '../lifecycle/record.js';
import type { HeaderView } from '../instruments/header-view.js';
import type { Provenance } from './product-provenance.js';

/** One change to a header: set `keyword` to `value` (adding the card if absent). */
export interface HeaderEdit {
  keyword: string;
  value: FitsValue;
  comment?: string;
}

/** A warning from normalization; never changes the file's state. */
export interface NormalizeWarning {
  code: string;
  message: string;
  keyword?: string;
}

/** What the normalizers know besides the header. */
export interface NormalizeContext {
  /** The file name as the instrument wrote it. */
  originalName: string;
  /** The file's modification time (epoch ms), for date repair. */
  mtimeMs: number;
  /** Processing level of the file. @default 0 */
  level?: Level;
  /** Time of ingestion (epoch ms), written as the processing date. */
  now: number;
  /** Software name and version written into the header. @default 'fits-ingest <version>' */
  software?: string;
  /** Prefix of the comments of added keywords. @default 'ARCHIVE:' */
  commentPrefix?: string;
  /** SHA-256 of the file, for archive-id templates with {DIGEST}. */
  digest?: string;
  /** Headers of the file's extension HDUs (1, 2, …), for rules whose conditions name an `hdu`. */
  extensions?: readonly HeaderView[];
  /** A product's provenance (level > 0), written into its header. */
  provenance?: Provenance;
}
