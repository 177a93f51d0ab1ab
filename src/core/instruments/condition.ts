/**
 * The condition language of instrument descriptions: small JSON/YAML objects that test header keywords. Rules for
 * archive-id prefixes, image types, proprietary periods and instrument detection all use it.
 *
 * ```yaml
 * { keyword: CAMERA, equals: BLUE }                 # string tests ignore case and surrounding blanks
 * { keyword: OBSTYPE, matches: '^bias$', flags: i } # a JavaScript regular expression, checked at load
 * { keyword: GRATEPOS, in: [3, 4] }
 * { keyword: OUTDIR, contains: /fcs }
 * { keyword: EL, gte: 44.99, lte: 45.01 }           # numeric range (gt, gte, lt, lte)
 * { exists: FLIMAGIN }
 * { all: [...] }  { any: [...] }  { not: {...} }
 * ```
 *
 * A `keyword` is a logical name from the description's `keywordMap` (tried in order) or a raw header keyword.
 *
 * @module
 */
import { z } from 'zod';
import { addProblem, forwardIssues, whenValid } from './_issues.js';

/** A literal a keyword value is compared with. */
export type Scalar = string | number | boolean;

/** The tests a keyword condition may carry; exactly one kind per condition. */
export type KeywordTest =
  | { equals: Scalar }
  | { in: readonly Scalar[] }
  | { matches: string; flags?: string }
  | { contains: string }
  | { gt?: number; gte?: number; lt?: number; lte?: number };

/** A test on one keyword's value. A keyword that is absent or has no value never satisfies a keyword test. */
/** An HDU of the file: its EXTNAME or its index (0 = primary). */
export type HduRef = number | string;

export type KeywordCondition = {
  /** Logical name from `keywordMap`, or a raw header keyword. */
  keyword: string;
  /** Read the keyword from this HDU (EXTNAME or index) instead of the primary header. */
  hdu?: HduRef;
  /** Compare strings exactly instead of ignoring case. @default false */
  caseSensitive?: boolean;
} & KeywordTest;

/** A condition on header keywords, as data. */
export type Condition =
  | KeywordCondition
  | { exists: string; hdu?: HduRef }
  | { all: readonly Condition[] }
  | { any: readonly Condition[] }
  | { not: Condition };

/** Keyword names in descriptions: FITS keywords (A-Z 0-9 _ -), logical names up to 32 characters, or HIERARCH. */
export const KEYWORD_REF = /^(?:[A-Z0-9_-]{1,32}|HIERARCH [ -~]+)$/;

/** A keyword or logical name used in a description. */
export const keywordRefSchema = z
  .string()
  .regex(KEYWORD_REF, 'expected an upper-case FITS keyword or keywordMap name (A-Z 0-9 _ -, or "HIERARCH ...")');

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** Regular-expression flags allowed in descriptions; `g` and `y` are stateful and make no sense here. */
export const regexFlagsSchema = z
  .string()
  .regex(/^(?!.*(.).*\1)[imsu]*$/, 'flags may be any of i, m, s, u, each at most once');

/** Adds an issue at `path` when `source` is not a valid regular expression. */
export function checkRegex(
  ctx: z.core.$RefinementCtx,
  source: string,
  flags: string | undefined,
  path: PropertyKey[],
): void {
  try {
    new RegExp(source, flags);
  } catch (error) {
    addProblem(ctx, path, `invalid regular expression: ${(error as Error).message}`);
  }
}

const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte'] as const;
const TEST_KINDS = ['equals', 'in', 'matches', 'contains', 'range'] as const;

const hduRefSchema = z.union([z.int().min(0).max(9999), z.string().min(1).max(68)]);

const keywordConditionSchema = z
  .strictObject({
    keyword: keywordRefSchema,
    hdu: hduRefSchema.optional(),
    caseSensitive: z.boolean().optional(),
    equals: scalarSchema.optional(),
    in: z.array(scalarSchema).min(1).optional(),
    matches: z.string().min(1).optional(),
    flags: regexFlagsSchema.optional(),
    contains: z.string().min(1).optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  })
  .superRefine((c, ctx) => {
    const kinds = TEST_KINDS.filter((kind) =>
      kind === 'range' ? RANGE_KEYS.some((k) => c[k] !== undefined) : c[kind] !== undefined,
    );
    if (kinds.length !== 1) {
      addProblem(ctx, [], kinds.length === 0
            ? 'a keyword condition needs one test: equals, in, matches, contains, or a range (gt, gte, lt, lte)'
            : `a keyword condition has exactly one kind of test, found ${kinds.join(' and ')}`);
    }
    if (c.flags !== undefined && c.matches === undefined) {
      addProblem(ctx, ['flags'], 'flags only apply to "matches"');
    }
    if (c.matches !== undefined) checkRegex(ctx, c.matches, c.flags, ['matches']);
    if (c.gt !== undefined && c.gte !== undefined) {
      addProblem(ctx, ['gte'], 'use either gt or gte, not both');
    }
    if (c.lt !== undefined && c.lte !== undefined) {
      addProblem(ctx, ['lte'], 'use either lt or lte, not both');
    }
    const low = c.gt ?? c.gte;
    const high = c.lt ?? c.lte;
    if (low !== undefined && high !== undefined && low > high) {
      addProblem(ctx, [], `empty range: lower bound ${low} is above upper bound ${high}`);
    }
  }, whenValid);

const conditionList = z.array(z.lazy(() => conditionSchema)).min(1);

const branches = {
  keyword: keywordConditionSchema,
  exists: z.strictObject({ exists: keywordRefSchema, hdu: hduRefSchema.optional() }),
  all: z.strictObject({ all: conditionList }),
  any: z.strictObject({ any: conditionList }),
  not: z.strictObject({ not: z.lazy(() => conditionSchema) }),
} as const;
const HEADS = Object.keys(branches) as (keyof typeof branches)[];

/**
 * Validates a {@link Condition}. The branch is chosen by the one head key present (`keyword`, `exists`, `all`,
 * `any`, `not`), so errors name the real field rather than reporting a failed union.
 */
export const conditionSchema: z.ZodType<Condition> = z.custom<Condition>().superRefine((value, ctx) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    addProblem(ctx, [], `a condition is an object with one of ${HEADS.join(', ')}`);
    return;
  }
  const heads = HEADS.filter((head) => head in value);
  if (heads.length !== 1) {
    addProblem(ctx, [], heads.length === 0
          ? `unknown condition shape (keys: ${Object.keys(value).join(', ') || 'none'}); ` +
            `expected one of ${HEADS.join(', ')}`
          : `a condition has exactly one of ${HEADS.join(', ')}; found ${heads.join(' and ')}`);
    return;
  }
  const result = branches[heads[0]!].safeParse(value);
  if (!result.success) forwardIssues(ctx, result.error.issues);
});
