/**
 * The zod schema of an instrument description: everything fits-ingest knows about one instrument, as data.
 * See docs/instruments.md for a guide with a full YAML example.
 *
 * @module
 */
import { z } from 'zod';
import { addProblem, whenValid } from './_issues.js';
import { parseArchiveTemplate } from './archive-template.js';
import { conditionSchema, keywordRefSchema } from './condition.js';
import { checkProcessingRules, processingRuleSchema } from './processing-rules.js';
import { pathRulesSchema } from './path-filter.js';
import { keywordColumnSchema, type KeywordColumn } from './keyword-column.js';
import { keywordTriggerSchema } from './keyword-trigger.js';

/** A FITS header keyword: up to 8 of A-Z 0-9 _ -, or a HIERARCH keyword. */
const fitsKeywordSchema = z
  .string()
  .regex(/^(?:[A-Z0-9_-]{1,8}|HIERARCH [ -~]+)$/, 'expected an upper-case FITS keyword (up to 8 of A-Z 0-9 _ -)');

const prefixSchema = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'a prefix is 1-16 of A-Z a-z 0-9 _ -');
const imageTypeSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, 'an image type is lower-case: a-z 0-9 _');
const hhmm = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'expected a time "HH:MM"');
const monthDay = z.string().regex(/^(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/, 'expected "MM-DD"');

const prefixRuleSchema = z.strictObject({ when: conditionSchema, prefix: prefixSchema, note: z.string().optional() });

/** A regular expression that compiles, with one capture group. */
const captureSchema = z.string().superRefine((source, ctx) => {
  try {
    if (new RegExp(`${source}|`).exec('')!.length < 2) addProblem(ctx, [], `the pattern ${JSON.stringify(source)} needs one capture group, e.g. "^d(\\d+)\\.fits$"`);
  } catch (error) {
    addProblem(ctx, [], `not a regular expression: ${(error as Error).message}`);
  }
});

/** Where `{FRAME}` reads the frame number, tried in order. */
const frameSourceSchema = z.union([
  z.strictObject({ keyword: keywordRefSchema }),
  z.strictObject({ fileName: captureSchema }),
  z.strictObject({ utSeconds: z.literal(true) }),
]);

const archiveIdSchema = z.strictObject({
  /** `keck`: `PP.YYYYMMDD.SSSSS.hh`; `template`: see {@link parseArchiveTemplate}. */
  scheme: z.enum(['keck', 'template']).default('keck'),
  /** Required for the `template` scheme, forbidden for `keck`. */
  template: z.string().optional(),
  /** Ordered: the first rule whose condition holds gives the prefix. */
  prefixRules: z.array(prefixRuleSchema).default([]),
  /** Prefix when no rule matches; without it, no match is an ARCHIVE_ID_FAILED error. */
  defaultPrefix: prefixSchema.optional(),
  /**
   * Sources of the template's `{FRAME}` token, tried in order: a keyword (`{ keyword: FRAMENO }`), the first
   * capture group of a pattern on the original file name (`{ fileName: '^d(\\d+)\\.fits$' }`), or the whole UT
   * seconds of the day (`{ utSeconds: true }`). Default: `[{ keyword: FRAMENO }]`.
   */
  frameNumber: z.array(frameSourceSchema).min(1).optional(),
});

const imageTypeRuleSchema = z
  .strictObject({
    when: conditionSchema.optional(),
    /** The image type this rule gives. */
    type: imageTypeSchema.optional(),
    /** Or: read this keyword and translate its value (case-insensitive, trimmed) through `map`. */
    fromKeyword: keywordRefSchema.optional(),
    map: z.record(z.string().min(1), imageTypeSchema).optional(),
    note: z.string().optional(),
  })
  .superRefine((rule, ctx) => {
    const byType = rule.type !== undefined;
    const byKeyword = rule.fromKeyword !== undefined || rule.map !== undefined;
    if (byType === byKeyword) {
      addProblem(ctx, [], 'an image-type rule has either "type" or "fromKeyword" with "map"');
    } else if (byKeyword && (rule.fromKeyword === undefined || rule.map === undefined)) {
      addProblem(ctx, [], '"fromKeyword" and "map" go together');
    }
  }, whenValid);

const dateRepairSchema = z.strictObject({
  /** DATE-OBS forms accepted (and rewritten to YYYY-MM-DD when not already). */
  dateFormats: z
    .array(z.enum(['iso-date', 'iso-datetime', 'dmy-slash']))
    .min(1)
    .default(['iso-date', 'iso-datetime', 'dmy-slash']),
  /** For `dmy-slash` (dd/mm/yy): a two-digit year below the pivot is 20yy, otherwise 19yy. */
  twoDigitYearPivot: z.int().min(0).max(99).default(50),
  /** When UTC is missing but DATE-OBS (or the keywordMap's DATE-OBS list) holds an ISO date-time, take its time. */
  timeFromDateTime: z.boolean().default(true),
  /** What to do when no accepted date is found: rebuild from the file's modification time, or reject the file. */
  onInvalidDate: z.enum(['file-mtime', 'reject']).default('file-mtime'),
  /** The same for the UT time of day. */
  onInvalidTime: z.enum(['file-mtime', 'reject']).default('file-mtime'),
});

/**
 * What normalization does with one rule: rewrite the header (`repair`), leave it as written (`keep`), or leave it
 * as written and refuse files where it is missing or unreadable (`require`).
 */
const ruleModeSchema = z.enum(['repair', 'keep', 'require']);

const normalizationSchema = z.strictObject({
  /** INSTRUME: `repair` sets it to `name`; `keep` leaves the instrument's value; `require` keeps it and refuses a value that is not the name or an alias. */
  instrument: ruleModeSchema.default('repair'),
  /** DATE-OBS: `repair` rewrites accepted forms to YYYY-MM-DD; `keep` leaves any accepted form (e.g. a full ISO date-time) as written; `require` keeps it and refuses a missing or unreadable date even where dateRepair says file-mtime. */
  dateObs: ruleModeSchema.default('repair'),
  /** The UT time keyword: `repair` writes it when it is missing (from DATE-OBS or the file time); `keep` never writes it; `require` never writes it and refuses a file without a readable time. */
  time: ruleModeSchema.default('repair'),
  /** The image-type output keyword: `repair` writes it; `keep` does not write it; `require` writes it and refuses a frame no rule types. */
  imageType: ruleModeSchema.default('repair'),
  /** OFNAME: `repair` adds it when missing; `keep` never adds it; `require` refuses a file without it. */
  originalName: ruleModeSchema.default('repair'),
});

const siteSchema = z.strictObject({
  name: z.string().optional(),
  /** Local time minus UT, in hours (Hawaii: -10). Used to turn local wall-clock readings into UT. */
  utcOffsetHours: z.number().min(-14).max(14).default(0),
  /** Daytime as a UT window (may wrap midnight), for proprietary rules with `daytime`. */
  daytimeUt: z.strictObject({ start: hhmm, end: hhmm }).optional(),
  /** How nights are named: `ut-date` (KOA: the UT date) or `local-evening` (the local date of the evening; see src/core/normalize/night.ts). */
  night: z.enum(['ut-date', 'local-evening']).optional(),
  /** IANA time zone of the site (e.g. `America/Los_Angeles`), for `local-evening` nights; overrides utcOffsetHours there. */
  timeZone: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone such as "America/Los_Angeles"')
    .optional(),
  /** Local time at which a new night begins, for `local-evening` nights. @default '12:00' */
  nightBoundary: hhmm.optional(),
});

const proprietaryRuleSchema = z.strictObject({
  when: conditionSchema.optional(),
  /** The rule applies only to these image types. */
  imageTypes: z.array(imageTypeSchema).min(1).optional(),
  /** The rule applies only by day (`true`) or only by night (`false`). */
  daytime: z.boolean().optional(),
  months: z.int().min(0).max(240),
  note: z.string().optional(),
});

const calibrationRuleSchema = z.strictObject({
  name: z.string().optional(),
  /** Image types of the calibration frames this rule finds. */
  calibrationTypes: z.array(imageTypeSchema).min(1),
  /** Image types of the frames that need them. */
  scienceTypes: z.array(imageTypeSchema).min(1).default(['object']),
  /** Keywords (or logical names) whose values must be equal between the two frames. */
  match: z.array(keywordRefSchema).default([]),
  /** Largest time difference between the frames, in hours. */
  withinHours: z.number().positive(),
  /** `nearest` in time (up to `count`), or `all` within the window. */
  select: z.enum(['nearest', 'all']).default('nearest'),
  count: z.int().min(1).default(1),
  note: z.string().optional(),
});

const semesterSchema = z
  .strictObject({
    /** Hours subtracted from the UT date-time before looking up the semester (Keck: 20). */
    shiftHours: z.number().min(-48).max(48).default(0),
    /** Semester names with their first day, in calendar order. */
    starts: z
      .array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9]{1,4}$/), start: monthDay }))
      .min(1),
  })
  .superRefine((s, ctx) => {
    s.starts.forEach((entry, i) => {
      if (i > 0 && entry.start <= s.starts[i - 1]!.start) {
        addProblem(ctx, ['starts', i, 'start'], 'starts must be in calendar order');
      }
    });
  }, whenValid);

const levelSchema = z.strictObject({
  enabled: z.boolean().default(true),
  paths: pathRulesSchema.optional(),
  notes: z.string().optional(),
});

const outputKeywordsSchema = z.strictObject({
  archiveId: fitsKeywordSchema.default('KOAID'),
  imageType: fitsKeywordSchema.default('KOAIMTYP'),
  semester: fitsKeywordSchema.default('SEMESTER'),
  proprietaryMonths: fitsKeywordSchema.default('PROPINT'),
  level: fitsKeywordSchema.default('DATLEVEL'),
});

/**
 * What preparation does with input that breaks the FITS standard (docs/instruments.md#conformance). Violations
 * that cannot be repaired without guessing (non-ASCII or lower-case keywords, a second SIMPLE, repeated BITPIX or
 * NAXISn, unterminated strings, unreadable values…) always make the file INVALID with NONCONFORMING_HEADER: the
 * archive only holds copies that fitsverify accepts.
 */
const conformanceSchema = z.strictObject({
  /**
   * A last data block (or a last header block) that lacks its fill to 2880 bytes: `repair` pads it (zeros, blanks
   * for ASCII tables and headers) and records a warning; `reject` makes the file INVALID with MISSING_DATA_FILL.
   */
  missingFill: z.enum(['repair', 'reject']).default('repair'),
  /**
   * Violations fitsverify tolerates (a non-structural keyword repeated, "=" not followed by a space): `warn` archives
   * the file as it is with a warning; `reject` makes it INVALID with NONCONFORMING_HEADER.
   */
  minorIssues: z.enum(['warn', 'reject']).default('warn'),
  /**
   * A keyword-table value the catalog cannot hold (a real beyond ±1.8E308 such as 1.0D99999, an integer beyond
   * 2^53): `null` stores null in the column with a VALUE_OUT_OF_RANGE warning, the header keeping its text;
   * `reject` makes the file INVALID with VALUE_OUT_OF_RANGE.
   */
  outOfRange: z.enum(['null', 'reject']).default('null'),
});

const baseSchema = z.strictObject({
  /** Optional pointer to a JSON schema, for editors; ignored. */
  $schema: z.string().optional(),
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a name is 1-32 of A-Z a-z 0-9 _ -, starting with a letter'),
  /**
   * What the instrument's files are: `frames` (observations) or `attachments` (non-FITS files of a night or
   * program wrapped as FITS FOREIGN objects: weather tables, logs, notes). Attachments are archived and cataloged
   * like frames but never count as a program's first frame of the night (PI mail).
   */
  role: z.enum(['frames', 'attachments']).default('frames'),
  /** INSTRUME values meaning this instrument (case-insensitive; the name itself always counts). */
  aliases: z.array(z.string().min(1)).default([]),
  /** Identifies the instrument when INSTRUME does not (checked after aliases of every instrument). */
  detect: conditionSchema.optional(),
  telescope: z.string().optional(),
  observatory: z.string().optional(),
  site: siteSchema.prefault({}),
  /** Logical name → header keywords to try in order. A name not listed here is read as a raw keyword. */
  keywordMap: z.record(keywordRefSchema, z.array(fitsKeywordSchema).min(1)).default({}),
  archiveId: archiveIdSchema,
  /** Keywords fits-ingest writes in the normalized copy. */
  outputKeywords: outputKeywordsSchema.prefault({}),
  /** Allowed image types; when given, every type used by rules must be one of them. */
  imageTypes: z.array(imageTypeSchema).min(1).optional(),
  imageTypeRules: z.array(imageTypeRuleSchema).default([]),
  imageTypeFallback: imageTypeSchema.default('undefined'),
  dateRepair: dateRepairSchema.prefault({}),
  /** Per-rule normalization policy (repair, keep or require); defaults repair, KOA's behaviour. */
  normalization: normalizationSchema.prefault({}),
  keywordTable: z.array(keywordColumnSchema).default([]),
  /** Policy for input that breaks the FITS standard or the catalog's ranges. */
  conformance: conformanceSchema.prefault({}),
  proprietaryMonths: z.int().min(0).max(240).default(18),
  /** Ordered exceptions to `proprietaryMonths`; the first that applies wins. */
  proprietaryRules: z.array(proprietaryRuleSchema).default([]),
  calibrationRules: z.array(calibrationRuleSchema).default([]),
  /** Which frames go to which pipeline, in which mode, on arrival or at the close of the night. */
  processingRules: z.array(processingRuleSchema).default([]),
  paths: pathRulesSchema.prefault({}),
  semester: semesterSchema.optional(),
  levels: z
    .strictObject({ 0: levelSchema.optional(), 1: levelSchema.optional(), 2: levelSchema.optional() })
    .optional(),
  /** How a control-system keyword monitor learns of this instrument's new files (docs/keywords.md). */
  keywordTrigger: keywordTriggerSchema.optional(),
  notes: z.string().optional(),
});

type Base = z.output<typeof baseSchema>;

function checkArchiveId(d: Base, ctx: z.core.$RefinementCtx): void {
  const a = d.archiveId;
  const hasPrefix = a.prefixRules.length > 0 || a.defaultPrefix !== undefined;
  if (a.scheme === 'keck') {
    if (a.template !== undefined) {
      addProblem(ctx, ['archiveId', 'template'], 'a template needs scheme: template');
    }
    if (!hasPrefix) {
      addProblem(ctx, ['archiveId'], 'the keck scheme needs prefixRules or defaultPrefix');
    }
    const two = /^[A-Z0-9]{2}$/;
    a.prefixRules.forEach((rule, i) => {
      if (!two.test(rule.prefix)) {
        addProblem(ctx, ['archiveId', 'prefixRules', i, 'prefix'], 'keck prefixes are 2 of A-Z 0-9');
      }
    });
    if (a.defaultPrefix !== undefined && !two.test(a.defaultPrefix)) {
      addProblem(ctx, ['archiveId', 'defaultPrefix'], 'keck prefixes are 2 of A-Z 0-9');
    }
    return;
  }
  if (a.template === undefined) {
    addProblem(ctx, ['archiveId', 'template'], 'the template scheme needs a template');
    return;
  }
  const parsed = parseArchiveTemplate(a.template);
  if (!parsed.ok) {
    addProblem(ctx, ['archiveId', 'template'], parsed.message);
  } else if (parsed.parts.some((p) => p.kind === 'prefix') && !hasPrefix) {
    addProblem(ctx, ['archiveId', 'template'], '{PREFIX} needs prefixRules or defaultPrefix');
  }
}

function checkUnique(table: readonly KeywordColumn[], ctx: z.core.$RefinementCtx): void {
  for (const field of ['keyword', 'column'] as const) {
    const seen = new Map<string, number>();
    table.forEach((entry, i) => {
      // The same keyword may be read from several HDUs (each arm's DETECTOR).
      const key = field === 'keyword' ? `${entry.keyword.toLowerCase()}@${String(entry.hdu ?? 0).toLowerCase()}` : entry.column.toLowerCase();
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else {
        const where = field === 'keyword' && entry.hdu !== undefined ? ` in HDU ${String(entry.hdu)}` : '';
        const message = `duplicate ${field} "${entry[field]}"${where} (also keywordTable[${first}])`;
        addProblem(ctx, ['keywordTable', i, field], message);
      }
    });
  }
}

function checkImageTypes(d: Base, ctx: z.core.$RefinementCtx): void {
  if (!d.imageTypes) return;
  const known = new Set(d.imageTypes);
  const check = (type: string, path: PropertyKey[]): void => {
    if (!known.has(type)) {
      addProblem(ctx, path, `image type "${type}" is not listed in imageTypes`);
    }
  };
  d.imageTypeRules.forEach((rule, i) => {
    if (rule.type !== undefined) check(rule.type, ['imageTypeRules', i, 'type']);
    for (const [value, type] of Object.entries(rule.map ?? {})) check(type, ['imageTypeRules', i, 'map', value]);
  });
  check(d.imageTypeFallback, ['imageTypeFallback']);
  d.proprietaryRules.forEach((rule, i) =>
    rule.imageTypes?.forEach((t, j) => check(t, ['proprietaryRules', i, 'imageTypes', j])),
  );
  d.calibrationRules.forEach((rule, i) => {
    rule.calibrationTypes.forEach((t, j) => check(t, ['calibrationRules', i, 'calibrationTypes', j]));
    rule.scienceTypes.forEach((t, j) => check(t, ['calibrationRules', i, 'scienceTypes', j]));
  });
}

/** The schema of one instrument description. Parse with {@link parseInstrument} to get errors naming the field. */
export const instrumentSchema = baseSchema.superRefine((d, ctx) => {
  checkArchiveId(d, ctx);
  checkUnique(d.keywordTable, ctx);
  checkImageTypes(d, ctx);
  checkProcessingRules(d.processingRules, d.imageTypes, ctx);
}, whenValid);

/** A validated instrument description, defaults filled in. */
export type InstrumentDescription = z.output<typeof instrumentSchema>;
/** An instrument description as written (JSON, YAML or a TypeScript object); optional fields may be left out. */
export type InstrumentInput = z.input<typeof instrumentSchema>;
/** Logical name → header keywords to try. */
export type KeywordMap = InstrumentDescription['keywordMap'];
/** Settings of the archive id. */
export type ArchiveIdSettings = InstrumentDescription['archiveId'];
/** The per-rule normalization policy. */
export type NormalizationPolicy = InstrumentDescription['normalization'];
/** Parameters of the semester rule. */
export type SemesterRule = NonNullable<InstrumentDescription['semester']>;
/** One calibration-association rule. */
export type CalibrationRule = InstrumentDescription['calibrationRules'][number];
/** One processing rule. */
export type { ProcessingRule } from './processing-rules.js';
/** One image-type rule. */
export type ImageTypeRule = InstrumentDescription['imageTypeRules'][number];
/** The keyword-monitor settings (`keywordTrigger`), validated. */
export type { KeywordAnnouncement, KeywordTriggerInput, KeywordTriggerSettings } from './keyword-trigger.js';
/** One proprietary-period rule. */
export type ProprietaryRule = InstrumentDescription['proprietaryRules'][number];
