/**
 * The body of an announcement mail, in its two forms (docs/mail.md): text, one `key=value …` line per file, or a
 * JSON document `{ "version": 1, "files": [ … ] }`. Parsing collects every problem with its line or field, so a
 * rejection says all that is wrong at once. Internal to src/adapters/triggers.
 *
 * @module
 */
import { z } from 'zod';
import { canonicalBody } from '../_shared/signature.js';

const level = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** One file of an announcement. */
export const announcedFileSchema = z.strictObject({
  /** Absolute path of the file on the receiving machine (under one of the receiver's roots). */
  path: z.string().min(1).max(4096),
  /** Instrument name, when the sender knows it. */
  instrument: z.string().min(1).max(64).optional(),
  /** Processing level: 0 raw, 1 quick-look, 2 reduced. */
  level: level.optional(),
  /** Archive ids of the raw parents of a product. */
  parents: z.array(z.string().min(1).max(128)).max(10_000).optional(),
  /** STB index: the volume (tape, disc) that holds the file. */
  volume: z.string().min(1).max(128).optional(),
  /** STB index: the file number on the volume. */
  member: z.int().min(0).optional(),
  /** STB index: the HDU (FITS extension) within that file. */
  hdu: z.int().min(0).optional(),
  /** SHA-256 of the file as the sender wrote it (64 hex digits). */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hexadecimal digits')
    .transform((s) => s.toLowerCase())
    .optional(),
  /** Size in bytes as the sender wrote it. */
  size: z.int().min(0).optional(),
  /** The file is closed: writing has finished. @default true */
  complete: z.boolean().optional(),
});

/** One file of an announcement. */
export type AnnouncedFile = z.input<typeof announcedFileSchema>;
/** One file of an announcement, as parsed (sha256 in lower case). */
export type ParsedFile = z.output<typeof announcedFileSchema>;

const announcementSchema = z.strictObject({
  /** Format version; only 1 exists. @default 1 */
  version: z.literal(1).default(1),
  files: z.array(announcedFileSchema).min(1),
});

/** The result of {@link parseAnnouncementBody}: the files, or every problem found. */
export type ParsedBody = { ok: true; files: ParsedFile[] } | { ok: false; problems: string[] };

const TEXT_KEYS = ['file', 'instrument', 'level', 'parents', 'volume', 'member', 'hdu', 'size', 'sha256', 'complete'] as const;
type TextKey = (typeof TEXT_KEYS)[number];
const TOKEN = /([A-Za-z][A-Za-z0-9_-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)/y;

function unquote(value: string): string {
  return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

/** The typed value of a text-form field, or what is wrong with it. */
function textValue(key: TextKey, raw: string): { value: unknown } | { problem: string } {
  switch (key) {
    case 'level':
    case 'member':
    case 'hdu':
    case 'size':
      return /^\d{1,15}$/.test(raw) ? { value: Number(raw) } : { problem: `expected a whole number (0 or more), got "${raw}"` };
    case 'complete':
      if (/^(true|yes|1)$/i.test(raw)) return { value: true };
      return /^(false|no|0)$/i.test(raw) ? { value: false } : { problem: `expected true or false, got "${raw}"` };
    case 'parents':
      return { value: raw === '' ? [] : raw.split(',').map((p) => p.trim()) };
    default:
      return { value: raw };
  }
}

function describe(issues: readonly z.core.$ZodIssue[], where: (path: PropertyKey[]) => string): string[] {
  return issues.map((issue) => `${where(issue.path)}: ${issue.message}`);
}

/** Reads one text line into the fields of a file, or returns its problems. */
function parseLine(line: string, number: number): { fields?: Record<string, unknown>; problems: string[] } {
  const fields: Record<string, unknown> = {};
  const problems: string[] = [];
  let at = 0;
  while (at < line.length) {
    while (at < line.length && /\s/.test(line[at]!)) at++;
    if (at >= line.length) break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(line);
    const next = match ? TOKEN.lastIndex : -1;
    if (!match || (next < line.length && !/\s/.test(line[next]!))) {
      problems.push(`line ${number}: cannot read "${line.slice(at, at + 40)}": expected key=value or key="quoted value"`);
      return { problems };
    }
    const key = match[1]!.toLowerCase();
    if (!(TEXT_KEYS as readonly string[]).includes(key)) {
      problems.push(`line ${number}: unknown key "${match[1]}" (known: ${TEXT_KEYS.join(', ')})`);
    } else if ((key === 'file' ? 'path' : key) in fields) {
      problems.push(`line ${number}: key "${key}" given twice`);
    } else {
      const typed = textValue(key as TextKey, unquote(match[2]!));
      if ('problem' in typed) problems.push(`line ${number}: ${key}: ${typed.problem}`);
      else fields[key === 'file' ? 'path' : key] = typed.value;
    }
    at = next;
  }
  if (!('path' in fields)) problems.push(`line ${number}: no file=… on this line`);
  return problems.length > 0 ? { problems } : { fields, problems };
}

function parseText(body: string): ParsedBody {
  const files: ParsedFile[] = [];
  const problems: string[] = [];
  body.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const { fields, problems: lineProblems } = parseLine(line, index + 1);
    problems.push(...lineProblems);
    if (!fields) return;
    const result = announcedFileSchema.safeParse(fields);
    if (result.success) files.push(result.data);
    else problems.push(...describe(result.error.issues, (path) => `line ${index + 1}: ${path[0] === 'path' ? 'file' : path.map(String).join('.')}`));
  });
  if (problems.length === 0 && files.length === 0) problems.push('the body announces no file (one line per file: file=/path/name.fits …)');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, files };
}

function parseJson(body: string): ParsedBody {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    return { ok: false, problems: [`the body is not valid JSON: ${(error as Error).message}`] };
  }
  const result = announcementSchema.safeParse(data);
  if (result.success) return { ok: true, files: result.data.files };
  return { ok: false, problems: describe(result.error.issues, (path) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(document)') };
}

/** Parses an announcement body: JSON when it starts with `{`, the text form otherwise. */
export function parseAnnouncementBody(body: string): ParsedBody {
  const text = canonicalBody(body);
  return text.startsWith('{') ? parseJson(text) : parseText(text);
}


function quote(value: string): string {
  return value !== '' && !/[\s"\\=]/.test(value) ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Formats files as the text form (one line per file) or as the JSON form. */
export function formatAnnouncementBody(files: readonly AnnouncedFile[], format: 'text' | 'json' = 'text'): string {
  if (format === 'json') return `${JSON.stringify({ version: 1, files }, null, 2)}\n`;
  const lines = files.map((file) => {
    const parts = [`file=${quote(file.path)}`];
    for (const key of TEXT_KEYS.slice(1)) {
      const value = file[key as keyof AnnouncedFile];
      if (value === undefined) continue;
      parts.push(`${key}=${quote(Array.isArray(value) ? value.join(',') : String(value))}`);
    }
    return parts.join(' ');
  });
  return `${lines.join('\n')}\n`;
}
