/**
 * Pure validation of instrument descriptions: data in, a frozen {@link InstrumentDescription} out, or an
 * `INSTRUMENT_CONFIG_INVALID` error naming the source and the field.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { formatField, problemsOf } from './_issues.js';
import { instrumentSchema, type InstrumentDescription } from './schema.js';

const MAX_LISTED = 5;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Validates `data` (parsed JSON/YAML or an object) as an instrument description. `source` names where it came
 * from (a file path, `builtin:kcwi`…) and goes into the error context as `file`.
 *
 * @throws IngestError `INSTRUMENT_CONFIG_INVALID` with `context.field` set to the first problem's field (e.g.
 *   `keywordTable[3].type`) and `context.problems` listing every problem as `field: message`.
 */
export function parseInstrument(data: unknown, source: string): InstrumentDescription {
  const result = instrumentSchema.safeParse(data);
  if (result.success) return deepFreeze(result.data);
  const problems = result.error.issues
    .flatMap(problemsOf)
    .map((p) => ({ field: formatField(p.path), message: p.message }));
  const [first, ...rest] = problems;
  const listed = rest.slice(0, MAX_LISTED).map((p) => `${p.field}: ${p.message}`);
  const more = rest.length > MAX_LISTED ? `; and ${rest.length - MAX_LISTED} more` : '';
  const detail = `${first!.message}${listed.length > 0 ? `; also ${listed.join('; ')}${more}` : ''}`;
  throw new IngestError('INSTRUMENT_CONFIG_INVALID', detail, {
    context: { file: source, field: first!.field, problems: problems.map((p) => `${p.field}: ${p.message}`) },
  });
}
