/**
 * The instrument descriptions shipped with fits-ingest: the Keck instruments KOA archives, a generic FITS
 * fallback, and CFHT MegaPrime as a non-Keck example.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import { parseInstrument } from '../../core/instruments/parse-instrument.js';
import type { InstrumentDescription, InstrumentInput } from '../../core/instruments/schema.js';
import { attachment } from './attachment.js';
import { deimos } from './deimos.js';
import { esi } from './esi.js';
import { generic } from './generic.js';
import { hires } from './hires.js';
import { kcwi } from './kcwi.js';
import { kpf } from './kpf.js';
import { lris } from './lris.js';
import { megaprime } from './megaprime.js';
import { mosfire } from './mosfire.js';
import { nirc2 } from './nirc2.js';
import { nires } from './nires.js';
import { nirspec } from './nirspec.js';
import { osiris } from './osiris.js';

/** Keys of the shipped descriptions. */
export type BuiltinInstrumentName =
  | 'deimos'
  | 'esi'
  | 'hires'
  | 'kcwi'
  | 'kpf'
  | 'lris'
  | 'mosfire'
  | 'nirc2'
  | 'nires'
  | 'nirspec'
  | 'osiris'
  | 'generic'
  | 'megaprime'
  | 'attachment';

/** The shipped descriptions as written (inputs), keyed by {@link BuiltinInstrumentName}. */
export const builtinInstrumentInputs: Readonly<Record<BuiltinInstrumentName, InstrumentInput>> = {
  deimos,
  esi,
  hires,
  kcwi,
  kpf,
  lris,
  mosfire,
  nirc2,
  nires,
  nirspec,
  osiris,
  generic,
  megaprime,
  attachment,
};

let parsed: ReadonlyMap<BuiltinInstrumentName, InstrumentDescription> | undefined;

function all(): ReadonlyMap<BuiltinInstrumentName, InstrumentDescription> {
  parsed ??= new Map(
    Object.entries(builtinInstrumentInputs).map(([key, input]) => [
      key as BuiltinInstrumentName,
      parseInstrument(input, `builtin:${key}`),
    ]),
  );
  return parsed;
}

/**
 * Every shipped description, validated and frozen. The generic fallback comes last and has no aliases, so
 * `findInstrument(builtinInstruments(), header)` returns it only for INSTRUME = generic; to fall back on it, use
 * `findInstrument(...) ?? builtinInstrument('generic')`.
 */
export function builtinInstruments(): readonly InstrumentDescription[] {
  const map = all();
  const keys: BuiltinInstrumentName[] = [...map.keys()].filter((k) => k !== 'generic');
  return [...keys, 'generic' as const].map((k) => map.get(k)!);
}

/** One shipped description by key. */
export function builtinInstrument(name: BuiltinInstrumentName): InstrumentDescription {
  const found = all().get(name);
  if (!found) {
    throw new IngestError('INVALID_OPTIONS', `no built-in instrument "${String(name)}"`, {
      hint: `use one of ${Object.keys(builtinInstrumentInputs).join(', ')}`,
    });
  }
  return found;
}
