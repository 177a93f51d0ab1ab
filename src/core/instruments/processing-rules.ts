/**
 * Processing rules: which of an instrument's frames go to which pipeline (a processor), in which mode, and when —
 * the Keck model of quick-look on arrival and a full reduction at the end of the night, written as instrument data
 * like the image-type and calibration rules. A rule names the calibration types whose night masters must exist
 * before a frame can run; until then the frame waits, visibly.
 *
 * @module
 */
import { z } from 'zod';
import { addProblem } from './_issues.js';
import { conditionSchema } from './condition.js';

const imageTypeSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, 'an image type is lower-case: a-z 0-9 _');

/** One processing rule (`processingRules[]` of an instrument description). */
export const processingRuleSchema = z.strictObject({
  /** Unique within the instrument, e.g. `quicklook-science`; requests and logs name it. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a rule name is lower-case: a-z 0-9 -'),
  /** Frames of these image types (any type when absent). */
  imageTypes: z.array(imageTypeSchema).min(1).optional(),
  /** And for which this condition over header keywords holds (the condition language of the image-type rules). */
  when: conditionSchema.optional(),
  /** Processing levels of the frames the rule takes. @default [0] (raw frames) */
  levels: z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).min(1).default([0]),
  /** The processor (pipeline) to run, by the name it is registered under. */
  processor: z.string().min(1),
  /**
   * `quicklook`: a level-1 product per frame, fast; `masters`: build the night's master calibrations from these
   * frames; `full`: the science-ready (level-2) reduction of a whole night.
   */
  mode: z.enum(['quicklook', 'masters', 'full']).default('quicklook'),
  /** `arrival`: as soon as the frame is archived; `night-close`: when its night is closed. @default 'arrival' */
  on: z.enum(['arrival', 'night-close']).default('arrival'),
  /** Calibration image types whose masters for the night must exist first; the frame waits until they do. */
  needs: z.array(imageTypeSchema).default([]),
  /**
   * A `masters` rule: the role its frames take in the night's calibration set (what the pipeline reads them as,
   * e.g. `flat` for `flatlamp` frames). @default the frame's image type
   */
  role: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a role is lower-case: a-z 0-9 _').optional(),
  /** Higher runs first. @default 50 (100 for quick-look on arrival is typical) */
  priority: z.int().min(0).max(100).default(50),
  note: z.string().optional(),
});

/** One processing rule, defaults filled in. */
export type ProcessingRule = z.output<typeof processingRuleSchema>;

/**
 * Checks what one rule cannot check alone: unique names, image types the instrument lists, and that every type a
 * rule `needs` is built by some `masters` rule (otherwise its frames would wait forever).
 */
export function checkProcessingRules(
  rules: readonly ProcessingRule[],
  knownTypes: readonly string[] | undefined,
  ctx: z.core.$RefinementCtx,
): void {
  const names = new Map<string, number>();
  const known = knownTypes ? new Set(knownTypes) : undefined;
  const built = new Set(rules.filter((r) => r.mode === 'masters').flatMap((r) => r.imageTypes ?? []));
  rules.forEach((rule, i) => {
    const first = names.get(rule.name);
    if (first !== undefined) addProblem(ctx, ['processingRules', i, 'name'], `duplicate rule name "${rule.name}" (also processingRules[${first}])`);
    else names.set(rule.name, i);
    const types: [string, PropertyKey[]][] = [
      ...(rule.imageTypes ?? []).map((t, j): [string, PropertyKey[]] => [t, ['processingRules', i, 'imageTypes', j]]),
      ...rule.needs.map((t, j): [string, PropertyKey[]] => [t, ['processingRules', i, 'needs', j]]),
    ];
    for (const [type, path] of types) {
      if (known && !known.has(type)) addProblem(ctx, path, `image type "${type}" is not listed in imageTypes`);
    }
    rule.needs.forEach((type, j) => {
      if (!built.has(type)) {
        addProblem(ctx, ['processingRules', i, 'needs', j], `no rule with mode "masters" builds "${type}" masters, so these frames would wait forever: add one with imageTypes: [${type}]`);
      }
    });
    if (rule.mode === 'masters' && rule.imageTypes === undefined) {
      addProblem(ctx, ['processingRules', i, 'imageTypes'], 'a "masters" rule names the calibration image types it builds masters from');
    }
  });
}
