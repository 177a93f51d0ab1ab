/**
 * The `keywordTrigger` section of an instrument description: which control-system keys announce a new file, the
 * data roots announced paths must stay under, and the heartbeat that shows the keyword service is alive. Read
 * by the keyword-monitor trigger (`fits-ingest/triggers/keyword`); see docs/keywords.md.
 *
 * @module
 */
import { z } from 'zod';
import { addProblem, whenValid } from './_issues.js';

/** A dot-separated key (mKTL store.key or KTL service.KEYWORD): at least two parts of A-Z a-z 0-9 _ -. */
export const keywordKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/, 'a key is dot-separated parts of A-Z a-z 0-9 _ - (e.g. kcwi.kbds.LASTFILE)');

/** One key holds the whole path of the file just closed (KTL's LASTFILE). */
const lastFileSchema = z.strictObject({ key: keywordKeySchema });

/**
 * The path is built from several keys: `<directory>/<name><frame><suffix>`. A change of `when.key` to
 * `when.equals` announces the file; without `when`, a change of the frame key (else of the name key) does.
 */
const composedSchema = z.strictObject({
  /** Key holding the output directory (e.g. `lris.OUTDIR`). */
  directory: keywordKeySchema,
  /** Key holding the file-name root (e.g. `lris.OUTFILE`). */
  name: keywordKeySchema,
  /** Key holding the frame number; its change announces the file. Without it, a change of `name` announces. */
  frame: z
    .strictObject({
      key: keywordKeySchema,
      /** Zero-padded to this many digits. */
      digits: z.int().min(1).max(10).default(4),
      /** Added to the value: -1 when the key holds the number of the *next* frame, as FRAMENO often does. */
      offset: z.int().min(-10).max(10).default(0),
    })
    .optional(),
  /** Appended to the name (and frame number). */
  suffix: z.string().regex(/^[^/]*$/, 'a suffix cannot contain "/"').default('.fits'),
  /**
   * Announce when this key takes this value (HIRES: `hiccd.WDISK` becomes `false` once the disk write is done).
   * Compared as written, or case-insensitively as text (`false` matches `"false"`).
   */
  when: z.strictObject({ key: keywordKeySchema, equals: z.union([z.string(), z.number(), z.boolean()]) }).optional(),
});

const announceSchema = z.union([lastFileSchema, composedSchema]);

/** An absolute POSIX path without empty, `.` or `..` parts. */
const rootSchema = z
  .string()
  .refine(
    (root) => /^\/(?:[^/]+\/)*[^/]*$/.test(root) && !root.split('/').some((part) => part === '.' || part === '..'),
    'a root is an absolute path without empty, "." or ".." parts (e.g. /sdata/kcwi)',
  );

/** A key the publisher changes regularly (a clock, an iteration counter). */
const heartbeatSchema = z.strictObject({ key: keywordKeySchema, staleAfterMs: z.int().min(10).max(86_400_000) });

/** The schema of `keywordTrigger`. */
export const keywordTriggerSchema = z
  .strictObject({
    /** One announcement, or several (one per camera or detector); each is watched on its own. */
    announce: z.union([announceSchema, z.array(announceSchema).min(1)]).transform((a) => (Array.isArray(a) ? a : [a])),
    /** Announced paths must resolve (symlinks too) under one of these directories; others are rejected. */
    roots: z.array(rootSchema).min(1),
    /** Do not ingest the value current when the monitor starts (it was announced before): KOA's rule. */
    skipFirstBroadcast: z.boolean().default(true),
    /** An announced file not visible yet (slow NFS) is looked for again `retries` times, `delayMs` apart. */
    missingFile: z
      .strictObject({ retries: z.int().min(0).max(100).default(5), delayMs: z.int().min(0).max(60_000).default(250) })
      .prefault({}),
    /** Keys the publisher changes regularly (one or a list); an alert is raised when one has not changed for its `staleAfterMs`. */
    heartbeat: z
      .union([heartbeatSchema, z.array(heartbeatSchema).min(1)])
      .transform((h) => (Array.isArray(h) ? h : [h]))
      .optional(),
  })
  .superRefine((t, ctx) => {
    // Each announcement fires on its own key; keys within one entry differ; a heartbeat is not an announcement.
    const fired = new Map<string, number>();
    const used = new Set<string>();
    t.announce.forEach((a, i) => {
      const keys = 'key' in a ? [a.key] : [a.directory, a.name, ...(a.frame ? [a.frame.key] : []), ...(a.when ? [a.when.key] : [])];
      keys.forEach((key) => used.add(key));
      if (new Set(keys).size < keys.length) addProblem(ctx, ['announce', i], 'the keys of one announcement must differ');
      const fire = 'key' in a ? a.key : (a.when?.key ?? a.frame?.key ?? a.name);
      const first = fired.get(fire);
      if (first !== undefined) addProblem(ctx, ['announce', i], `announcement ${first} already fires on ${fire}`);
      else fired.set(fire, i);
    });
    t.heartbeat?.forEach((h, i) => {
      if (used.has(h.key)) addProblem(ctx, ['heartbeat', i, 'key'], `${h.key} is an announcement key`);
    });
  }, whenValid);

/** `keywordTrigger` as written in a description. */
export type KeywordTriggerInput = z.input<typeof keywordTriggerSchema>;
/** `keywordTrigger` validated, defaults filled in, `announce` always a list. */
export type KeywordTriggerSettings = z.output<typeof keywordTriggerSchema>;
/** One validated announcement: a LASTFILE-style key, or directory + name (+ frame). */
export type KeywordAnnouncement = KeywordTriggerSettings['announce'][number];
