/**
 * Planning a distribution package (CFHT DADS style): a program's frames in a night range, the calibrations its
 * instruments' rules associate with its science frames (from any program: standard stars, twilight flats), the
 * night attachments (weather, logs, notes cataloged under the ATTACHMENT instrument), and, for the `products`
 * format, the processed products of those frames. Reads the catalog port only; writes nothing.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { ArchivedFile, Catalog } from '../ports/catalog.js';
import { associateCalibrations } from '../instruments/calibrations.js';
import type { InstrumentDescription } from '../instruments/schema.js';

/** `raw`: files as archived; `products`: processed products when present; `split`: one file per extension. */
export type DistributionFormat = 'raw' | 'products' | 'split';
export const DISTRIBUTION_FORMATS: readonly DistributionFormat[] = ['raw', 'products', 'split'];

/** Why a file is in the package. */
export type PackageRole = 'science' | 'calibration' | 'attachment' | 'product';

/** One archived file of the package. */
export interface PlannedFile {
  file: ArchivedFile;
  role: PackageRole;
  /** Human-readable reasons: "program K123", "bias for KB.…", "product of KB.…". */
  reasons: string[];
  /** Set when the `products` format found no product and gives the raw frame instead. */
  note?: string;
}

/** Options of {@link planDistribution}. */
export interface PlanOptions {
  /** Program id (PROGID as cataloged). */
  program: string;
  /** First and last night, YYYY-MM-DD, inclusive. */
  nightFrom?: string;
  nightTo?: string;
  /** @default 'raw' */
  format?: DistributionFormat;
  /** Descriptions whose calibrationRules are applied, matched to frames by name (case-insensitive). */
  instruments: readonly InstrumentDescription[];
  /** Instrument name under which night attachments are cataloged. @default 'ATTACHMENT' */
  attachmentInstrument?: string;
}

/** What goes in the package. */
export interface DistributionPlan {
  program: string;
  nightFrom?: string;
  nightTo?: string;
  format: DistributionFormat;
  /** Nights with frames of the program. */
  nights: string[];
  /** Science frames first, then calibrations, attachments; within a role by night, time and archive id. */
  files: PlannedFile[];
  /** Things the recipient should know (a rule that found nothing, frames of an unknown instrument). */
  notes: string[];
}

const ALL = 1_000_000;
const ROLE_ORDER: Record<PackageRole, number> = { science: 0, product: 1, calibration: 2, attachment: 3 };

function shiftNight(night: string, days: number): string {
  return new Date(Date.parse(`${night}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function byTime(a: PlannedFile, b: PlannedFile): number {
  const f = a.file;
  const g = b.file;
  return ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || f.night.localeCompare(g.night) || f.archiveId.localeCompare(g.archiveId);
}

/** Science image types of a description: those its rules name, or `object` when it has no rules. */
function scienceTypes(description: InstrumentDescription | undefined): Set<string> {
  const rules = description?.calibrationRules ?? [];
  return new Set(rules.length ? rules.flatMap((r) => r.scienceTypes) : ['object']);
}

/**
 * Plans the package of `program`. Throws NO_SUCH_PROGRAM when the catalog holds no raw frame of it in the range.
 *
 * @example
 * ```ts
 * const plan = await planDistribution(catalog, { program: 'K123', nightFrom: '2026-11-20', instruments: builtinInstruments() })
 * plan.files.filter((f) => f.role === 'calibration').map((f) => f.reasons)
 * ```
 */
export async function planDistribution(catalog: Pick<Catalog, 'findArchived'>, options: PlanOptions): Promise<DistributionPlan> {
  const format = options.format ?? 'raw';
  const attachment = (options.attachmentInstrument ?? 'ATTACHMENT').toUpperCase();
  const range = { ...(options.nightFrom ? { nightFrom: options.nightFrom } : {}), ...(options.nightTo ? { nightTo: options.nightTo } : {}) };
  const own = (await catalog.findArchived({ program: options.program, level: 0, ...range, limit: ALL })).filter(
    (f) => f.instrument.toUpperCase() !== attachment,
  );
  if (own.length === 0) {
    const where = options.nightFrom || options.nightTo ? ` between ${options.nightFrom ?? 'the first night'} and ${options.nightTo ?? 'the last night'}` : '';
    throw new IngestError('NO_SUCH_PROGRAM', `the catalog holds no raw frame of program ${JSON.stringify(options.program)}${where}`, {
      context: { field: 'program' },
    });
  }
  const describe = (name: string) => options.instruments.find((d) => d.name.toUpperCase() === name.toUpperCase());
  const planned = new Map<string, PlannedFile>();
  const notes: string[] = [];
  const add = (file: ArchivedFile, role: PackageRole, reason: string): void => {
    const entry = planned.get(file.archiveId);
    if (entry) {
      if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
      if (ROLE_ORDER[role] < ROLE_ORDER[entry.role]) entry.role = role;
    } else planned.set(file.archiveId, { file, role, reasons: [reason] });
  };
  const nights = [...new Set(own.map((f) => f.night))].sort();
  const byInstrument = new Map<string, ArchivedFile[]>();
  for (const f of own) byInstrument.set(f.instrument, [...(byInstrument.get(f.instrument) ?? []), f]);
  for (const [instrument, frames] of byInstrument) {
    const description = describe(instrument);
    if (!description) notes.push(`no description of instrument ${instrument}: its frames have no associated calibrations`);
    const types = scienceTypes(description);
    const science = frames.filter((f) => f.imageType !== undefined && types.has(f.imageType));
    for (const f of frames) add(f, science.includes(f) ? 'science' : 'calibration', `program ${options.program}`);
    if (!description || description.calibrationRules.length === 0 || science.length === 0) continue;
    const margin = Math.ceil(Math.max(...description.calibrationRules.map((r) => r.withinHours)) / 24);
    const frameNights = frames.map((f) => f.night).sort();
    const candidates = await catalog.findArchived({
      instrument,
      level: 0,
      nightFrom: shiftNight(frameNights[0]!, -margin),
      nightTo: shiftNight(frameNights.at(-1)!, margin),
      limit: ALL,
    });
    for (const frame of science) {
      for (const match of associateCalibrations(description, frame, candidates)) {
        if (match.problem) notes.push(`${match.rule}: ${match.problem}`);
        else if (match.calibrations.length === 0) notes.push(`${match.rule}: no calibration found for ${frame.archiveId}`);
        for (const c of match.calibrations) add(c.frame, 'calibration', `${match.rule} for ${frame.archiveId}`);
      }
    }
  }
  const attachments = await catalog.findArchived({ instrument: attachment, nightFrom: nights[0]!, nightTo: nights.at(-1)!, limit: ALL });
  for (const file of attachments) {
    if (nights.includes(file.night) && (file.program === undefined || file.program === options.program)) {
      add(file, 'attachment', `night ${file.night}`);
    }
  }
  let files = [...planned.values()];
  if (format === 'products') files = await withProducts(catalog, files);
  return { program: options.program, ...range, format, nights, files: files.sort(byTime), notes };
}

/** Replaces each raw frame by its processed products (level > 0), or keeps it with a note when it has none. */
async function withProducts(catalog: Pick<Catalog, 'findArchived'>, files: PlannedFile[]): Promise<PlannedFile[]> {
  const out: PlannedFile[] = [];
  const seen = new Set<string>();
  for (const entry of files) {
    if (entry.role === 'attachment') {
      out.push(entry);
      continue;
    }
    const products = (await catalog.findArchived({ parent: entry.file.archiveId, limit: ALL })).filter((p) => p.level > 0);
    if (products.length === 0) {
      out.push({ ...entry, note: 'no processed product in the archive: the raw frame is given instead' });
      continue;
    }
    for (const product of products) {
      if (seen.has(product.archiveId)) continue;
      seen.add(product.archiveId);
      out.push({ file: product, role: entry.role === 'science' ? 'product' : entry.role, reasons: [`product of ${product.parents.join(', ')}`] });
    }
  }
  return out;
}
