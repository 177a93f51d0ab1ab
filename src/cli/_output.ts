/**
 * Output conventions shared by every command: text or one JSON object per line, errors as one line without a
 * stack trace, and the exit-code contract (0 all good, 1 some file failed a check, 2 usage or environment error).
 */
import { isIngestError } from '../core/errors.js';

/** Where a command writes; injectable so tests can capture output without spawning a process. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

const BIG = '\u0000BIG:';

/** JSON text that keeps every digit of bigints (written as JSON numbers). */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v.toString()}\u0000` : v));
  return text.replace(/"\\u0000BIG:(-?\d+)\\u0000"/g, '$1');
}

/** Writes one JSON object per line. */
export function printJsonLine(io: CliIo, value: unknown): void {
  io.stdout.write(`${toJson(value)}\n`);
}

/** The one-line message for an error: IngestErrors carry location and hint; anything else its message. */
export function errorLine(error: unknown): string {
  if (isIngestError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
