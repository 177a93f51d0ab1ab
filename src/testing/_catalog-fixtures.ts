/**
 * Fixtures of the catalog conformance suite: instruments with typed keyword columns, records, archived files,
 * and helpers that drive records through the real state machine. Internal to src/testing.
 *
 * @module
 */
import { isIngestError, type IngestError, type IngestErrorCode } from '../core/errors.js';
import { createRecord, type FileRecord, type HistoryEntry } from '../core/lifecycle/record.js';
import { transition, type LifecycleEvent } from '../core/lifecycle/transition.js';
import type { ArchivedFile, Catalog, CatalogCapabilities, CatalogInstrument, ColumnValue, CompleteCatalog } from '../core/ports/catalog.js';

/** The start of conformance time (2023-11-14T22:13:20Z). */
export const T0 = 1_700_000_000_000;

/**
 * The instruments a catalog under test must be built with (pass `setup.instruments` to your factory): one with a
 * column of every type, and one with a dash in its name.
 */
export const CONFORMANCE_INSTRUMENTS: CatalogInstrument[] = [
  {
    name: 'TESTCAM',
    aliases: ['Test Camera'],
    keywordTable: [
      { column: 'object', type: 'string' },
      { column: 'exptime', type: 'real' },
      { column: 'nframes', type: 'integer' },
      { column: 'dome_open', type: 'boolean' },
      { column: 'date_obs', type: 'date' },
      { column: 'date_beg', type: 'datetime' },
      { column: 'koaimtyp', type: 'string' },
    ],
  },
  { name: 'Other-Cam', keywordTable: [{ column: 'filter', type: 'string' }] },
];

/** A fresh DETECTED record `n`, created at T0 + n. */
export function newRecord(n: number, source = `/data/raw/f${n}.fits`): { record: FileRecord; entry: HistoryEntry } {
  const record = createRecord({ id: `rec-${n}`, source, originalName: `f${n}.fits`, trigger: 'conformance' }, T0 + n);
  return { record, entry: { recordId: record.id, at: record.createdAt, from: null, to: 'DETECTED', cause: 'DETECTED', actor: 'conformance' } };
}

/** Inserts record `n` and returns it. */
export async function inserted(catalog: Catalog, n: number, source?: string): Promise<FileRecord> {
  const { record, entry } = newRecord(n, source);
  const result = await catalog.insertRecord(record, entry);
  if (!result.inserted) throw new Error(`record ${n} was not inserted`);
  return record;
}

/** Applies `event` at `at` and stores it; returns the new record. */
export async function step(catalog: Catalog, record: FileRecord, event: LifecycleEvent, at = record.updatedAt + 1): Promise<FileRecord> {
  const { record: next, entry } = transition(record, event, at);
  await catalog.updateRecord(next, entry);
  return next;
}

/** The archive id of record `n`. */
export const archiveIdOf = (n: number): string => `TC.20240101.${String(n).padStart(5, '0')}.00`;

/** Takes a DETECTED record to TRANSFERRED, stored at each step. */
export async function toTransferred(catalog: Catalog, record: FileRecord, archiveId: string, night = '2024-01-01'): Promise<FileRecord> {
  let r = await step(catalog, record, { type: 'STABLE', size: 5760, mtimeMs: record.createdAt - 10 });
  r = await step(catalog, r, {
    type: 'PREPARED',
    instrument: 'TESTCAM',
    archiveId,
    night,
    sourceSha256: `src-${record.id}`,
    staged: `/stage/${archiveId}.fits`,
    sha256: `sha-${record.id}`,
    stagedSize: 5760,
  });
  r = await step(catalog, r, { type: 'TRANSFER_STARTED' });
  return step(catalog, r, { type: 'TRANSFERRED', location: `/archive/${night}/${archiveId}.fits` });
}

/** Keyword values of a TESTCAM file. */
export function testcamColumns(overrides: Record<string, ColumnValue> = {}): Record<string, ColumnValue> {
  return {
    object: 'M31',
    exptime: 30.5,
    nframes: 4,
    dome_open: true,
    date_obs: '2024-01-01',
    date_beg: '2024-01-01T10:00:00.25',
    koaimtyp: 'object',
    ...overrides,
  };
}

/** The archived file of a TRANSFERRED record. */
export function archivedFileOf(record: FileRecord, overrides: Partial<ArchivedFile> = {}): ArchivedFile {
  return {
    archiveId: record.archiveId!,
    recordId: record.id,
    instrument: record.instrument ?? 'TESTCAM',
    level: record.level,
    parents: [...record.parents],
    night: record.night!,
    originalName: record.originalName,
    source: record.source,
    size: record.stagedSize!,
    sha256: record.sha256!,
    sourceSha256: record.sourceSha256!,
    hdus: [
      { index: 0, datasum: 0, checksum: 'hcHjjc9ghcEghc9g' },
      { index: 1, datasum: 4_294_967_295, checksum: '9Uc3AUZ29Uc3AUZ2' },
    ],
    locations: [{ uri: record.location!, transport: 'fs', verifiedAt: record.updatedAt }],
    columns: testcamColumns(),
    header: [
      { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS' },
      { keyword: 'BIGVAL', value: 12345678901234567890n, comment: 'beyond 2^53' },
      { keyword: 'CPLX', value: { re: 1.5, im: -2 }, comment: '' },
      { keyword: 'OBJECT', value: 'M31 — Andromeda', comment: 'unicode kept' },
      { keyword: 'UNDEF', value: null, comment: 'no value' },
      { keyword: 'COMMENT', value: undefined, comment: 'a commentary card' },
    ],
    program: 'C123',
    dateObs: '2024-01-01',
    imageType: 'object',
    releaseDate: '2025-07-01',
    archivedAt: record.updatedAt + 1,
    ...overrides,
  };
}

/** Archives record `n` (insert, every step, commit) and returns the ARCHIVED record and its file. */
export async function archived(
  catalog: Catalog,
  n: number,
  file: (record: FileRecord) => Partial<ArchivedFile> = () => ({}),
  night?: string,
): Promise<{ record: FileRecord; file: ArchivedFile }> {
  const transferred = await toTransferred(catalog, await inserted(catalog, n), archiveIdOf(n), night);
  const { record, entry } = transition(transferred, { type: 'ARCHIVED' }, transferred.updatedAt + 1);
  const archivedFile = archivedFileOf(transferred, file(transferred));
  await catalog.commitArchived(record, entry!, archivedFile);
  return { record, file: archivedFile };
}

/** Runs `fn` and returns what it rejected with (or `undefined` when it did not reject). */
export async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Runs `fn` and returns the IngestError code it rejected with (or `undefined` when it did not reject). */
export async function rejection(fn: () => Promise<unknown>): Promise<IngestErrorCode | 'not an IngestError' | undefined> {
  const error = await failure(fn);
  if (error === undefined) return undefined;
  return isIngestError(error) ? error.code : 'not an IngestError';
}

/** The code and whether the message names `word`, for errors that must say what was wrong. */
export async function rejectionNaming(fn: () => Promise<unknown>, word: string): Promise<[string | undefined, boolean]> {
  const error = await failure(fn);
  if (!isIngestError(error)) return [error === undefined ? undefined : 'not an IngestError', false];
  return [error.code, (error as IngestError).message.includes(word)];
}

/** The matchers the suite uses; vitest's and jest's `expect` have them. */
export interface ConformanceAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toHaveLength(length: number): void;
  toBeUndefined(): void;
  toContain(item: unknown): void;
  not: Omit<ConformanceAssertion, 'not'>;
}

/** A test body; `context.skip` (vitest) marks a test skipped at run time. */
export type ConformanceTestBody = (context?: { skip?: (note?: string) => void }) => Promise<void>;

/** The parts of a test framework the suite needs. `typeof import('vitest')` fits. */
export interface ConformanceTestApi {
  it: (name: string, body: ConformanceTestBody) => unknown;
  expect: (actual: unknown) => ConformanceAssertion;
  describe?: (name: string, body: () => void) => unknown;
}

/** What each test receives. */
export interface ConformanceHarness {
  expect: ConformanceTestApi['expect'];
  /** The test's catalog, initialized (the suite checks the whole port, optional methods included). */
  catalog: CompleteCatalog;
  /**
   * Opens (and initializes) another catalog on the same storage as `catalog`, or on `key`'s, built with
   * `instruments` (default {@link CONFORMANCE_INSTRUMENTS}).
   */
  open(key?: string, instruments?: CatalogInstrument[]): Promise<CompleteCatalog>;
}

/** Registers one test; `needs` names a capability the test requires. */
export type DefineTest = (name: string, body: (h: ConformanceHarness) => Promise<void>, needs?: keyof CatalogCapabilities) => void;

