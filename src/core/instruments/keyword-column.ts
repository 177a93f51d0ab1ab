/**
 * Entries of an instrument's `keywordTable`: the header keywords that become catalog columns, with their type and
 * the checks a value must pass.
 *
 * @module
 */
import { z } from 'zod';
import { addProblem, whenValid } from './_issues.js';
import { keywordRefSchema } from './condition.js';

/** Column types. `date` is `YYYY-MM-DD`, `datetime` is ISO 8601 (`YYYY-MM-DDThh:mm:ss[.fff]`), both UT. */
export const COLUMN_TYPES = ['string', 'integer', 'real', 'boolean', 'date', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const fitsType: Record<ColumnType, (v: string | number | boolean) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  real: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  datetime: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(v),
};

/**
 * The default column name for a keyword: lower case, characters other than a-z 0-9 _ replaced by `_`, and a
 * leading `_` when it would start with a digit.
 */
export function defaultColumnName(keyword: string): string {
  const name = keyword.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^\d/.test(name) ? `_${name}` : name;
}

/** Validates one keyword-table entry and fills in `column` and `nullable`. */
export const keywordColumnSchema = z
  .strictObject({
    /** Header keyword (as in the normalized copy) or a logical name from keywordMap. */
    keyword: keywordRefSchema,
    /** Catalog column; defaults to the keyword in lower case with `-` turned into `_`. */
    column: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a column name is a letter or _ then up to 62 of A-Z a-z 0-9 _')
      .optional(),
    type: z.enum(COLUMN_TYPES),
    /**
     * The HDU to read the keyword from: an extension's EXTNAME (case-insensitive) or an HDU index (0 = primary).
     * @default 0 (the primary header)
     */
    hdu: z.union([z.int().min(0).max(9999), z.string().min(1).max(68)]).optional(),
    /** Maximum length of a string value. */
    width: z.int().min(1).max(65_535).optional(),
    /** Whether the value may be missing. @default true */
    nullable: z.boolean().default(true),
    /** Smallest and largest allowed numeric value. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Discrete allowed values. */
    allowed: z.array(scalar).min(1).optional(),
    /** `header`: read from the (normalized) header; `derived`: computed by fits-ingest (archive id, image type…). */
    source: z.enum(['header', 'derived']).default('header'),
    unit: z.string().optional(),
    description: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const numeric = e.type === 'integer' || e.type === 'real';
    if (e.width !== undefined && e.type !== 'string') {
      addProblem(ctx, ['width'], 'width only applies to type string');
    }
    for (const bound of ['min', 'max'] as const) {
      if (e[bound] !== undefined && !numeric) {
        addProblem(ctx, [bound], `${bound} only applies to types integer and real`);
      }
    }
    if (e.min !== undefined && e.max !== undefined && e.min > e.max) {
      addProblem(ctx, ['max'], `max ${e.max} is below min ${e.min}`);
    }
    e.allowed?.forEach((value, i) => {
      if (!fitsType[e.type](value)) {
        addProblem(ctx, ['allowed', i], `${JSON.stringify(value)} is not a ${e.type}`);
      } else if (typeof value === 'string' && e.width !== undefined && value.length > e.width) {
        addProblem(ctx, ['allowed', i], `"${value}" is longer than width ${e.width}`);
      }
    });
  }, whenValid)
  .transform((e) => ({ ...e, column: e.column ?? defaultColumnName(e.keyword) }));

/** A validated keyword-table entry. */
export type KeywordColumn = z.output<typeof keywordColumnSchema>;
