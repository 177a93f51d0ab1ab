/**
 * A night's masters: the calibration frames the instrument's `masters` processing rules take, certified as one
 * calibration set valid over the night (the pipeline builds its master images from that set at each run, as the
 * example imager pipeline does). Built during the night when a waiting frame's needs are all on disk, and again at
 * the night's close with every calibration of the night, including those taken after sunrise. Internal.
 *
 * @module
 */
import type { ArchivedFile } from '../core/ports/catalog.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';
import type { ProcessingRule } from '../core/instruments/processing-rules.js';
import type { NightRecord } from '../core/processing/quicklook.js';
import { certify } from './_calibrations.js';
import type { ServiceContext } from './_context.js';
import { observedAt } from './inputs.js';

/** The night's set is valid from 6 h before its first frame to 30 h after it (or 6 h after its last): frames still to come are covered. */
const BEFORE_MS = 6 * 3_600_000;
const AFTER_MS = 30 * 3_600_000;

/** The stored record of a night, or a fresh OPEN one. */
export async function nightRecord(ctx: ServiceContext, instrument: string, night: string): Promise<NightRecord> {
  return (await ctx.store.getNight(instrument, night)) ?? { instrument, night, state: 'OPEN', masters: {} };
}

/** The raw frames (level 0) of one instrument's night. */
export async function nightFrames(ctx: ServiceContext, instrument: string, night: string): Promise<ArchivedFile[]> {
  return ctx.catalog.findArchived({ instrument, level: 0, nightFrom: night, nightTo: night, limit: 100_000 });
}

/** The `masters` rule that takes frames of `imageType`, if any. */
export function mastersRuleFor(description: InstrumentDescription, imageType: string | undefined): ProcessingRule | undefined {
  if (imageType === undefined) return undefined;
  return description.processingRules.find((r) => r.mode === 'masters' && r.imageTypes?.includes(imageType));
}

/** Calibration types of the night with at least one archived frame a `masters` rule takes. */
export function availableTypes(description: InstrumentDescription, frames: readonly ArchivedFile[]): Set<string> {
  return new Set(frames.filter((f) => mastersRuleFor(description, f.imageType)).map((f) => f.imageType!));
}

/**
 * Certifies the night's calibration frames as its masters (a new set version replacing what covered the night)
 * unless the stored masters hold exactly these frames already; stores and returns the night's record.
 */
export async function buildMasters(ctx: ServiceContext, description: InstrumentDescription, record: NightRecord, actor: string): Promise<NightRecord> {
  const frames = await nightFrames(ctx, description.name, record.night);
  const calibrations = frames.filter((f) => mastersRuleFor(description, f.imageType)).sort((a, b) => a.archiveId.localeCompare(b.archiveId));
  if (calibrations.length === 0) return record;
  const current = Object.values(record.masters)[0];
  const stored = current === undefined ? undefined : await ctx.store.getSet(current);
  const same = stored !== undefined && stored.files.map((f) => f.archiveId).sort().join() === calibrations.map((f) => f.archiveId).join();
  if (same) return record;
  const times = frames.map((f) => observedAt(ctx.instruments, f));
  const { set } = await certify(ctx, {
    instrument: description.name, kind: ctx.kind, from: Math.min(...times) - BEFORE_MS, to: Math.max(Math.min(...times) + AFTER_MS, Math.max(...times) + BEFORE_MS), replace: true, actor,
    note: `masters of the night ${record.night} (${calibrations.length} calibration frames)`,
    files: calibrations.map((f) => ({ role: mastersRuleFor(description, f.imageType)!.role ?? f.imageType!, archiveId: f.archiveId })),
  });
  const masters = Object.fromEntries([...new Set(calibrations.map((f) => f.imageType!))].map((type) => [type, set.id]));
  const next: NightRecord = { ...record, masters, mastersAt: ctx.now() };
  await ctx.store.putNight(next);
  return next;
}
