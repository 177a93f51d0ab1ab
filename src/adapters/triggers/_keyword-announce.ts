/**
 * Turns keyword messages into announced paths, for one `keywordTrigger.announce` entry: a LASTFILE-style key
 * whose value is the path, or a path built from directory + name (+ frame number) keys, announced when the `when`
 * key takes its value, else when the frame key (else the name key) changes. Internal to src/adapters/triggers.
 *
 * @module
 */
import { join } from 'node:path';
import { IngestError } from '../../core/errors.js';
import type { KeywordMessage, KeywordValue } from '../../core/ports/keyword-source.js';
import type { KeywordAnnouncement } from '../../core/instruments/schema.js';

/** What one message means for an announcement. */
export type AnnounceOutcome =
  /** Nothing to announce (another key of a composed path, an empty LASTFILE). */
  | undefined
  /** A path was announced (or, with `initial`, is the current value at connection). */
  | { path: string; message: KeywordMessage }
  /** The message cannot make a path. */
  | { error: IngestError };

function bad(key: string, detail: string): { error: IngestError } {
  return { error: new IngestError('KEYWORD_BAD_MESSAGE', `${key}: ${detail}`, { context: { key } }) };
}

/** `when.equals` holds: the same value, or the same text ignoring case (`false` and `"false"`). */
const sameValue = (value: KeywordValue, expected: string | number | boolean) =>
  value === expected || String(value).trim().toLowerCase() === String(expected).toLowerCase();

const isBlank = (value: KeywordValue) => value === null || (typeof value === 'string' && value.trim() === '');

/** One entry of `keywordTrigger.announce`, with the last values of its keys. */
export class Announcer {
  readonly #spec: KeywordAnnouncement;
  readonly #values = new Map<string, KeywordValue>();
  /** The key whose change announces a file. */
  readonly fireKey: string;
  /** Every key this entry reads, the one that fires last (primes arrive in this order). */
  readonly keys: readonly string[];

  constructor(spec: KeywordAnnouncement) {
    this.#spec = spec;
    if ('key' in spec) {
      this.fireKey = spec.key;
      this.keys = [spec.key];
    } else {
      this.fireKey = spec.when?.key ?? spec.frame?.key ?? spec.name;
      const others = [spec.directory, spec.name, ...(spec.frame ? [spec.frame.key] : [])].filter((key) => key !== this.fireKey);
      this.keys = [...others, this.fireKey];
    }
  }

  /** Reads `message` (of one of {@link keys}). */
  take(message: KeywordMessage): AnnounceOutcome {
    this.#values.set(message.key, message.value);
    if (message.key !== this.fireKey || isBlank(message.value)) return undefined;
    const spec = this.#spec;
    if ('key' in spec) {
      if (typeof message.value !== 'string') return bad(message.key, `a file path must be a string, got ${JSON.stringify(message.value)}`);
      return { path: message.value.trim(), message };
    }
    if (spec.when && !sameValue(message.value, spec.when.equals)) return undefined;
    const directory = this.#values.get(spec.directory);
    const name = this.#values.get(spec.name);
    if (typeof directory !== 'string' || isBlank(directory)) return bad(spec.directory, `no directory to build the path of ${message.key} = ${JSON.stringify(message.value)}`);
    if (typeof name !== 'string' || isBlank(name)) return bad(spec.name, `no file name to build the path of ${message.key} = ${JSON.stringify(message.value)}`);
    let frame = '';
    if (spec.frame) {
      const raw = spec.when ? (this.#values.get(spec.frame.key) ?? null) : message.value;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(n)) return bad(spec.frame.key, `a frame number must be an integer, got ${JSON.stringify(raw)}`);
      const number = n + spec.frame.offset;
      if (number < 0) return bad(spec.frame.key, `frame number ${n} + offset ${spec.frame.offset} is negative`);
      frame = String(number).padStart(spec.frame.digits, '0');
    }
    const file = `${name.trim()}${frame}${spec.suffix}`;
    if (file.includes('/')) return bad(spec.name, `a file name cannot contain "/": ${JSON.stringify(file)}`);
    return { path: join(directory.trim(), file), message };
  }
}
