/**
 * What the step implementations share: the ports, the resolved options, and the in-memory state that helps a
 * running process (never needed for correctness after a restart).
 */
import { IngestError } from '../errors.js';
import type { FitsWarning, HduInfo } from '../fits/hdu-stream.js';
import type { Header } from '../fits/header.js';
import { walkRandomAccess } from '../fits/random-access.js';
import type { LifecycleEvent } from '../lifecycle/transition.js';
import type { FileRecord, RecordWarning } from '../lifecycle/record.js';
import type { StateName } from '../lifecycle/states.js';
import type { Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import type { FileAccess } from '../ports/files.js';
import type { Logger } from '../ports/logger.js';
import type { HduSums, TransferReceipt, Transport } from '../ports/transport.js';
import type { InstrumentDescription } from '../instruments/schema.js';

/** Stability detection settings (see {@link EngineOptions}). */
export interface StabilitySettings {
  quietMs: number;
  pollMs: number;
  settleMs: number;
  appearMs: number;
}

/** Everything a step needs. */
export interface StepContext {
  instruments: readonly InstrumentDescription[];
  fallbackInstrument: InstrumentDescription | undefined;
  catalog: Catalog;
  transports: readonly Transport[];
  files: FileAccess;
  clock: Clock;
  logger: Logger;
  staging: string;
  stability: StabilitySettings;
  commentPrefix: string;
  software: string;
  /** Last observed size/mtime of files being stabilized, by record id. */
  observations: Map<string, { size: number; mtimeMs: number; since: number; missingSince?: number }>;
  /** Receipts of the transfer step, by record id, for the commit step (re-obtained after a restart). */
  receipts: Map<string, TransferReceipt[]>;
  /** The staged copy's primary header and HDU sums, by record id, known when it was written (else read again). */
  staged: Map<string, StagedCopy>;
}

/** What the later steps need to know about a staged copy. */
export interface StagedCopy {
  primary: Header;
  /** Every HDU's header (index 0 the primary), for keyword columns read from extensions. */
  headers?: Header[];
  hdus: HduSums[];
}

/** The staged copy's header and sums: from memory when this process wrote it, else from its header blocks. */
export async function stagedCopy(ctx: StepContext, record: FileRecord): Promise<StagedCopy> {
  const known = ctx.staged.get(record.id);
  if (known) return known;
  const { hdus } = await walkThroughFiles(ctx, record.staged!, record.stagedSize!);
  const copy = { primary: hdus[0]!.header, headers: hdus.map((h) => h.header), hdus: sumsFromHeaders(hdus) };
  ctx.staged.set(record.id, copy);
  return copy;
}

/** What a step decided: an event to apply, or to look again later. */
export type StepOutcome = { event: LifecycleEvent } | { waitMs: number };

/**
 * An event for an IngestError: INVALID for bad input, FAILED otherwise (resuming from `resumeFrom` when given,
 * else from the state before the failed step).
 */
export function failure(error: IngestError, step: string, resumeFrom?: StateName): LifecycleEvent {
  const recordError = { code: error.code, kind: error.kind, message: error.message, step };
  if (error.kind === 'invalid') return { type: 'INVALID', error: recordError };
  return resumeFrom ? { type: 'FAILED', error: recordError, resumeFrom } : { type: 'FAILED', error: recordError };
}

/** The file name part of a path (core code has no node:path). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins path segments with '/'. */
export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

/** Converts FITS reader warnings into record warnings. */
export function fitsWarnings(warnings: readonly FitsWarning[]): RecordWarning[] {
  return warnings.map((w) => ({
    code: w.code,
    message: `${w.hdu !== undefined ? `HDU ${w.hdu}` : ''}${w.card !== undefined ? ` card ${w.card}` : ''}: ${w.message}`.replace(/^: /, ''),
  }));
}

/** Walks a file through the files port, reading header blocks only. */
export async function walkThroughFiles(ctx: StepContext, path: string, size: number, allowTrailing = false): Promise<{ hdus: HduInfo[]; warnings: FitsWarning[] }> {
  return walkRandomAccess({ size, read: (offset, length) => ctx.files.readRange(path, offset, length) }, { file: path, allowTrailing });
}

/** The per-HDU sums a prepared file carries in its DATASUM/CHECKSUM keywords. */
export function sumsFromHeaders(hdus: readonly HduInfo[]): HduSums[] {
  return hdus.map((h) => {
    const datasum = h.header.get('DATASUM');
    const checksum = h.header.get('CHECKSUM');
    if (typeof datasum !== 'string' || typeof checksum !== 'string') {
      throw new IngestError('CHECKSUM_MISMATCH', `HDU ${h.index} of the prepared copy has no DATASUM/CHECKSUM`);
    }
    return { index: h.index, datasum: Number(datasum), checksum };
  });
}

/** The instrument description for a record (its name), or undefined. */
export function instrumentNamed(ctx: StepContext, name: string | undefined): InstrumentDescription | undefined {
  if (name === undefined) return undefined;
  const wanted = name.toUpperCase();
  return ctx.instruments.find((d) => d.name.toUpperCase() === wanted) ?? (ctx.fallbackInstrument?.name.toUpperCase() === wanted ? ctx.fallbackInstrument : undefined);
}

/** True when the record asks to replace an archived file (explicit reingest). */
export function isReingest(record: FileRecord): boolean {
  return record.metadata['reingest'] === true;
}
