/**
 * Which instrument a header belongs to: by INSTRUME and aliases, then by `detect` conditions.
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import type { HeaderView } from './header-view.js';
import { evaluateCondition, resolveKeyword, valueText } from './rules.js';
import type { InstrumentDescription } from './schema.js';

/** The names a description answers to, in lower case: its name and aliases. */
function namesOf(d: InstrumentDescription): string[] {
  return [d.name, ...d.aliases].map((n) => n.trim().toLowerCase());
}

/**
 * The description called `name`: its name first, then an alias, case-insensitively (how `--instrument`, a
 * request's declared instrument and catalog filters are read), or undefined.
 */
export function instrumentByName(instruments: readonly InstrumentDescription[], name: string): InstrumentDescription | undefined {
  const wanted = name.trim().toLowerCase();
  return instruments.find((d) => d.name.trim().toLowerCase() === wanted) ?? instruments.find((d) => namesOf(d).includes(wanted));
}

/**
 * The INSTRUME forms compared with aliases: the whole value, and its first word without a trailing colon
 * (Keck writes e.g. `DEIMOS: real science mosaic CCD subsystem`). Lower case.
 */
export function instrumeForms(value: string): string[] {
  const whole = value.trim().toLowerCase();
  const first = whole.split(/\s+/)[0]!.replace(/:$/, '');
  return first === whole ? [whole] : [whole, first];
}

/**
 * The description a header belongs to, or undefined when none matches. First pass: the header's INSTRUME (read
 * through each description's keywordMap) equals the name or an alias, case-insensitively. Second pass: the
 * description's `detect` condition holds. Within a pass, the first description in `instruments` wins.
 */
export function findInstrument(
  instruments: readonly InstrumentDescription[],
  header: HeaderView,
): InstrumentDescription | undefined {
  const byName = instruments.find((d) => {
    const resolved = resolveKeyword(d, header, 'INSTRUME');
    const text = resolved && valueText(resolved.value);
    if (text === undefined) return false;
    const names = namesOf(d);
    return instrumeForms(text).some((form) => names.includes(form));
  });
  return byName ?? instruments.find((d) => d.detect !== undefined && evaluateCondition(d.detect, header, d.keywordMap));
}

/** Like {@link findInstrument}, but throws `UNKNOWN_INSTRUMENT` (kind `invalid`) when nothing matches. */
export function identifyInstrument(
  instruments: readonly InstrumentDescription[],
  header: HeaderView,
  context: ErrorContext = {},
): InstrumentDescription {
  const found = findInstrument(instruments, header);
  if (found) return found;
  const instrume = header.get('INSTRUME');
  throw new IngestError(
    'UNKNOWN_INSTRUMENT',
    `INSTRUME = ${instrume === undefined ? '(absent)' : JSON.stringify(String(instrume))} matches none of ` +
      `${instruments.map((d) => d.name).join(', ') || '(no descriptions)'}`,
    { context: { ...context, keyword: 'INSTRUME' } },
  );
}

/**
 * Checks that no two descriptions share a name or alias (case-insensitive), which would make
 * {@link findInstrument} depend on order. `sources[i]` names where `instruments[i]` came from.
 *
 * @throws IngestError `INSTRUMENT_CONFIG_INVALID` naming both sources.
 */
export function checkInstrumentSet(
  instruments: readonly InstrumentDescription[],
  sources: readonly string[] = [],
): void {
  const owner = new Map<string, number>();
  instruments.forEach((d, i) => {
    for (const name of new Set(namesOf(d))) {
      const first = owner.get(name);
      if (first === undefined) {
        owner.set(name, i);
        continue;
      }
      const where = (k: number): string => sources[k] ?? instruments[k]!.name;
      throw new IngestError('INSTRUMENT_CONFIG_INVALID', `"${name}" names both ${where(first)} and ${where(i)}`, {
        context: { file: where(i), field: name === d.name.toLowerCase() ? 'name' : 'aliases' },
        hint: 'give every instrument a distinct name and distinct aliases',
      });
    }
  });
}
