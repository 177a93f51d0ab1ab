/**
 * Certify, decertify and list calibration sets against the store, with the pure rules of core/processing/validity.
 * Internal to the processing service.
 *
 * @module
 */
import { IngestError } from '../core/errors.js';
import { calibrationSetId, rangesOverlap, type CalibrationSet, type ValidityRange } from '../core/processing/calibration-set.js';
import { certifyRange, decertifyRange } from '../core/processing/validity.js';
import type { ProductProvenance } from '../core/ports/processing-store.js';
import type { ServiceContext } from './_context.js';

/** What to certify: a new set version made of archived files, valid for `[from, to)`. */
export interface CertifyInput {
  instrument: string;
  kind: string;
  /** Archived calibration files by role. */
  files: { role: string; archiveId: string }[];
  from: number;
  /** @default null (open-ended) */
  to?: number | null;
  /** Recertification: replace what is certified in the range instead of refusing the overlap. */
  replace?: boolean;
  actor: string;
  note?: string;
}

/** The new set, the ranges it replaced, and the current products built with what it replaced. */
export interface Certified {
  set: CalibrationSet;
  range: ValidityRange;
  replaced: ValidityRange[];
  affected: ProductProvenance[];
}

export async function certify(ctx: ServiceContext, input: CertifyInput): Promise<Certified> {
  if (input.files.length === 0) throw new IngestError('INVALID_OPTIONS', 'a calibration set needs at least one file', { context: { field: 'files' } });
  const files = [];
  for (const f of input.files) {
    const archived = await ctx.catalog.getArchived(f.archiveId);
    if (!archived) throw new IngestError('NOT_FOUND', `no archived file ${f.archiveId} for the ${f.role} of the calibration set`, { context: { file: f.archiveId } });
    if (archived.instrument !== input.instrument) throw new IngestError('INVALID_OPTIONS', `${f.archiveId} is a ${archived.instrument} file, not ${input.instrument}`, { context: { file: f.archiveId } });
    files.push({ role: f.role, archiveId: f.archiveId, sha256: archived.sha256 });
  }
  const existing = await ctx.store.listSets({ instrument: input.instrument, kind: input.kind });
  const version = Math.max(0, ...existing.map((s) => s.version)) + 1;
  const now = ctx.now();
  const set: CalibrationSet = { id: calibrationSetId(input.instrument, input.kind, version), instrument: input.instrument, kind: input.kind, version, files, createdAt: now, createdBy: input.actor, ...(input.note ? { note: input.note } : {}) };
  const range: ValidityRange = { setId: set.id, instrument: set.instrument, kind: set.kind, version, from: input.from, to: input.to ?? null, certifiedAt: now, certifiedBy: input.actor };
  const ranges = await ctx.store.listRanges({ instrument: input.instrument });
  const result = certifyRange(ranges, range, { replace: input.replace ?? false }); // throws CALIBRATION_OVERLAP first
  await ctx.store.addSet(set);
  await ctx.store.replaceRanges(input.instrument, input.kind, result.ranges.filter((r) => r.kind === input.kind));
  return { set, range, replaced: result.replaced, affected: await builtWith(ctx, result.replaced) };
}

/** Current products made with a replaced set for an observation time inside the replaced part of its range. */
export async function builtWith(ctx: ServiceContext, replaced: readonly ValidityRange[]): Promise<ProductProvenance[]> {
  if (replaced.length === 0) return [];
  const products = await ctx.store.productsBuiltWith([...new Set(replaced.map((r) => r.setId))]);
  return products.filter((p) => replaced.some((r) => r.setId === p.calibrationSetId && rangesOverlap(r, { from: p.observedAt, to: p.observedAt + 1 })));
}

/** Removes `[from, to)` from the certified ranges of the instrument and kind (of one version when given). */
export async function decertify(ctx: ServiceContext, input: { instrument: string; kind: string; from: number; to: number | null; version?: number }): Promise<ValidityRange[]> {
  const ranges = await ctx.store.listRanges({ instrument: input.instrument });
  const what = { instrument: input.instrument, kind: input.kind, from: input.from, to: input.to, ...(input.version !== undefined ? { setId: calibrationSetId(input.instrument, input.kind, input.version) } : {}) };
  const { ranges: rest, removed } = decertifyRange(ranges, what);
  if (removed.length === 0) throw new IngestError('CALIBRATION_NOT_FOUND', `nothing of ${input.instrument}/${input.kind} is certified in that range`, { hint: 'list what is certified with `fits-ingest calib list`' });
  await ctx.store.replaceRanges(input.instrument, input.kind, rest.filter((r) => r.kind === input.kind));
  return removed;
}
