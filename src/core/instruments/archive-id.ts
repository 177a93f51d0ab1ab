/**
 * Archive ids (KOAID-like), pure. The `keck` scheme gives `PP.YYYYMMDD.SSSSS.hh`; the `template` scheme follows
 * the description's template (see archive-template.ts).
 *
 * Time rule: UT seconds are first quantized to whole microseconds (nearest), then split into whole seconds and a
 * fraction; the fraction is TRUNCATED to the digits shown (hundredths for keck), as Keck does. A time that
 * quantizes to 86400 s is held at 86399.999999 s, so an id never shows second 86400 or hundredths "100" and never
 * moves to the next day. Hundredths come from the fraction's value, never from the leading characters of a
 * microsecond string (the historical KOAID bug that turned 10:00:00.05 into ".50").
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { parseArchiveTemplate, type TemplatePart } from './archive-template.js';
import type { HeaderView } from './header-view.js';
import { evaluatePrefix, resolveKeyword, valueText } from './rules.js';
import type { InstrumentDescription } from './schema.js';

/** What an archive id is made from. */
export interface ArchiveIdInput {
  header: HeaderView;
  /** Observation date (UT), `YYYY-MM-DD`, already repaired. */
  date: string;
  /** UT seconds since midnight, fractional, in [0, 86400). */
  utSeconds: number;
  /** Hex content digest of the file, for templates with `{DIGEST}`. */
  digest?: string;
  /** A sequence number from the caller, for templates with `{SEQUENCE}`. */
  sequence?: number;
  /** The night (YYYY-MM-DD) by the site's rule, for `{NIGHT}`; the UT date when absent. */
  night?: string;
  /** The file name as the instrument wrote it, for `{FILE}` and `frameNumber` file-name patterns. */
  originalName?: string;
}

/** An archive id and the prefix it was built with (undefined for templates without `{PREFIX}`). */
export interface ArchiveId {
  id: string;
  prefix: string | undefined;
}

const DAY_MICROS = 86_400_000_000;

/** UT seconds split into whole seconds (0–86399) and microseconds (0–999999), per the rule in the module doc. */
export function splitUtSeconds(utSeconds: number): { seconds: number; micros: number } {
  if (!Number.isFinite(utSeconds) || utSeconds < 0 || utSeconds >= 86_400) {
    throw new IngestError('ARCHIVE_ID_FAILED', `UT seconds ${utSeconds} is not in [0, 86400)`);
  }
  const total = Math.min(Math.round(utSeconds * 1e6), DAY_MICROS - 1);
  return { seconds: Math.floor(total / 1e6), micros: total % 1e6 };
}

/**
 * Parses a UT time of day `HH:MM:SS[.ffffff…]` (or `HH:MM`) into seconds since midnight, reading the fraction
 * digits exactly (`"10:00:00.05"` and `"10:00:00.050000"` both give 36000.05). Returns undefined when malformed.
 */
export function utSecondsFromTime(text: string): number | undefined {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*$/.exec(text);
  if (!m) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || min > 59 || s > 59) return undefined;
  const micros = Number((m[4] ?? '').slice(0, 6).padEnd(6, '0'));
  return h * 3600 + min * 60 + s + micros / 1e6;
}

function checkDate(date: string): [string, string, string] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw new IngestError('ARCHIVE_ID_FAILED', `date "${date}" is not a calendar date YYYY-MM-DD`);
  }
  return [m[1]!, m[2]!, m[3]!];
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

interface Parts {
  description: InstrumentDescription;
  input: ArchiveIdInput;
  prefix: string | undefined;
  ymd: [string, string, string];
  seconds: number;
  micros: number;
}

function keywordText(p: Parts, keyword: string, width: number | undefined): string {
  const resolved = resolveKeyword(p.description, p.input.header, keyword);
  if (!resolved) {
    throw new IngestError('ARCHIVE_ID_FAILED', `the archive-id template needs ${keyword}, which has no value`, {
      context: { keyword },
    });
  }
  const { value } = resolved;
  const integer = typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
  const text = integer && width !== undefined && value >= 0 ? pad(value as number | bigint, width) : valueText(value);
  if (text === undefined || !/^[A-Za-z0-9._-]+$/.test(text)) {
    throw new IngestError('ARCHIVE_ID_FAILED', `${resolved.keyword} = ${String(text)} cannot go in an archive id`, {
      context: { keyword: resolved.keyword },
      hint: 'archive ids may only contain A-Z a-z 0-9 . _ -; use another keyword in the template',
    });
  }
  return text;
}

function frameText(p: Parts, width: number): string {
  const tried: string[] = [];
  for (const source of p.description.archiveId.frameNumber ?? [{ keyword: 'FRAMENO' }]) {
    if ('keyword' in source) {
      tried.push(`keyword ${source.keyword}`);
      if (resolveKeyword(p.description, p.input.header, source.keyword)) return keywordText(p, source.keyword, width);
    } else if ('fileName' in source) {
      tried.push(`file name /${source.fileName}/`);
      const m = p.input.originalName === undefined ? null : new RegExp(source.fileName).exec(p.input.originalName);
      const captured = m?.[1];
      if (captured !== undefined && /^[A-Za-z0-9._-]+$/.test(captured)) return /^\d+$/.test(captured) ? captured.padStart(width, '0') : captured;
    } else {
      return pad(p.seconds, Math.max(width, 5));
    }
  }
  throw new IngestError('ARCHIVE_ID_FAILED', `the archive-id template needs a frame number; tried ${tried.join(', ')}`, {
    context: { field: 'archiveId.frameNumber' },
    hint: 'add a source to archiveId.frameNumber (a keyword, a fileName pattern with one capture group, or utSeconds: true)',
  });
}

function render(part: TemplatePart, p: Parts): string {
  const [y, mo, d] = p.ymd;
  switch (part.kind) {
    case 'night': {
      const [ny, nm, nd] = p.input.night === undefined ? p.ymd : checkDate(p.input.night);
      return part.pieces.map((x) => ({ YYYY: ny, YY: ny.slice(2), MM: nm, DD: nd })[x] ?? x).join('');
    }
    case 'frame':
      return frameText(p, part.width);
    case 'file': {
      const name = p.input.originalName;
      if (name === undefined || name === '') throw new IngestError('ARCHIVE_ID_FAILED', 'the archive-id template needs the original file name');
      return name.replace(/\.(fits?|fts)(\.fz|\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');
    }
    case 'literal':
      return part.text;
    case 'prefix':
      return p.prefix!;
    case 'instrument': {
      const name = p.description.name;
      return part.letterCase === 'lower' ? name.toLowerCase() : part.letterCase === 'upper' ? name.toUpperCase() : name;
    }
    case 'date':
      return part.pieces.map((x) => ({ YYYY: y, YY: y.slice(2), MM: mo, DD: d })[x] ?? x).join('');
    case 'time': {
      const hms = { HH: Math.floor(p.seconds / 3600), MM: Math.floor(p.seconds / 60) % 60, SS: p.seconds % 60 };
      return part.pieces.map((x) => (x in hms ? pad(hms[x as keyof typeof hms], 2) : x)).join('');
    }
    case 'seconds':
      return pad(p.seconds, part.width);
    case 'fraction':
      return pad(Math.floor(p.micros / 10 ** (6 - part.width)), part.width);
    case 'keyword':
      return keywordText(p, part.keyword, part.width);
    case 'digest': {
      const digest = p.input.digest;
      if (digest === undefined || !/^[0-9a-fA-F]+$/.test(digest) || digest.length < part.width) {
        const detail = `the archive-id template needs a hex digest of at least ${part.width} digits`;
        throw new IngestError('ARCHIVE_ID_FAILED', detail);
      }
      return digest.slice(0, part.width).toLowerCase();
    }
    case 'sequence': {
      const n = p.input.sequence;
      if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
        throw new IngestError('ARCHIVE_ID_FAILED', 'the archive-id template needs a non-negative integer sequence');
      }
      return pad(n, part.width);
    }
  }
}

/**
 * Builds the archive id of a file. Throws `ARCHIVE_ID_FAILED` (kind `invalid`) when the date or time is out of
 * range, no prefix applies, or a value the template needs is missing or unusable.
 *
 * @example
 * ```ts
 * makeArchiveId(kcwi, { header, date: '2024-03-05', utSeconds: utSecondsFromTime('10:00:00.05')! })
 * // → { id: 'KB.20240305.36000.05', prefix: 'KB' }
 * ```
 */
export function makeArchiveId(description: InstrumentDescription, input: ArchiveIdInput): ArchiveId {
  const ymd = checkDate(input.date);
  const { seconds, micros } = splitUtSeconds(input.utSeconds);
  const settings = description.archiveId;
  const prefix = evaluatePrefix(description, input.header);
  const parts: TemplatePart[] =
    settings.scheme === 'keck' ? [{ kind: 'prefix' }] : templateParts(settings.template ?? '', description.name);
  const usesPrefix = parts.some((part) => part.kind === 'prefix');
  if (usesPrefix && prefix === undefined) {
    throw new IngestError('ARCHIVE_ID_FAILED', `no prefix rule of ${description.name} matches this header`, {
      context: { field: 'archiveId.prefixRules' },
      hint: 'add a matching prefix rule or a defaultPrefix to the instrument description',
    });
  }
  const p: Parts = { description, input, prefix, ymd, seconds, micros };
  if (settings.scheme === 'keck') {
    return { id: `${prefix}.${ymd.join('')}.${pad(seconds, 5)}.${pad(Math.floor(micros / 10_000), 2)}`, prefix };
  }
  return { id: parts.map((part) => render(part, p)).join(''), prefix: usesPrefix ? prefix : undefined };
}

function templateParts(template: string, name: string): TemplatePart[] {
  const parsed = parseArchiveTemplate(template);
  if (!parsed.ok) {
    // Descriptions are validated at load; reaching this means an unvalidated object was passed in.
    throw new IngestError('INSTRUMENT_CONFIG_INVALID', `${name}: ${parsed.message}`, {
      context: { field: 'archiveId.template' },
    });
  }
  return parsed.parts;
}
