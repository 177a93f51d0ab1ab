/**
 * Matching frames to processing rules (`processingRules` of an instrument description, see
 * processing-rules.ts) and telling whether a matched frame can run yet.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { instrumentByName } from './find-instrument.js';
import type { HeaderView } from './header-view.js';
import { parseInstrument } from './parse-instrument.js';
import type { ProcessingRule } from './processing-rules.js';
import { evaluateCondition } from './rules.js';
import type { InstrumentDescription } from './schema.js';

/** What a frame is, for matching rules. */
export interface ProcessingFrame {
  header: HeaderView;
  imageType: string | undefined;
  level: 0 | 1 | 2;
}

/** The rules `frame` matches for `on` (each rule is independent: a frame may feed several), highest priority first. */
export function processingFor(
  description: Pick<InstrumentDescription, 'processingRules' | 'keywordMap'>,
  frame: ProcessingFrame,
  on: ProcessingRule['on'],
): ProcessingRule[] {
  return description.processingRules
    .filter((rule) => rule.on === on && rule.levels.includes(frame.level))
    .filter((rule) => rule.imageTypes === undefined || (frame.imageType !== undefined && rule.imageTypes.includes(frame.imageType)))
    .filter((rule) => rule.when === undefined || evaluateCondition(rule.when, frame.header, description.keywordMap))
    .sort((a, b) => b.priority - a.priority);
}

/** Whether a frame under `rule` can run now: the calibration types it still waits for (empty when ready). */
export function waitingFor(rule: ProcessingRule, mastersReady: ReadonlySet<string>): string[] {
  return rule.needs.filter((type) => !mastersReady.has(type));
}

/**
 * `descriptions` with processing rules put in from a separate file (`{ KCWI: [rules…] }`, by instrument name or
 * alias), each description validated again as a whole; an instrument not among `descriptions` is refused.
 * Instruments the file does not name are returned unchanged.
 */
export function withProcessingRules(descriptions: readonly InstrumentDescription[], rules: unknown, source: string): InstrumentDescription[] {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    throw new IngestError('INSTRUMENT_CONFIG_INVALID', `${source}: processing rules are a map from instrument name to a list of rules`, { context: { file: source } });
  }
  const named = new Map<InstrumentDescription, unknown>();
  for (const [name, list] of Object.entries(rules)) {
    const description = instrumentByName(descriptions, name);
    if (!description) throw new IngestError('INSTRUMENT_CONFIG_INVALID', `${source}: no instrument ${name} (known: ${descriptions.map((d) => d.name).join(', ')})`, { context: { file: source, field: name } });
    named.set(description, list);
  }
  return descriptions.map((d) => (named.has(d) ? parseInstrument({ ...d, processingRules: named.get(d) }, `${source} (${d.name})`) : d));
}
