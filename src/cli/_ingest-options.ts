/** The options `ingest`, `watch` and `demo` share, and per-file reporting: light, loaded with the CLI. */
import type { Command } from 'commander';
import type { FileRecord } from '../core/lifecycle/record.js';
import { printJsonLine, type CliIo } from './_output.js';

/** Options common to the commands that ingest. */
export interface IngestCliOptions {
  archive: string;
  catalog?: string;
  instrument?: string;
  instruments?: string[];
  generic?: boolean;
  staging?: string;
  concurrency?: string;
  json?: boolean;
  /** `ingest`: ms a file's size and mtime must stay unchanged before it is read. */
  quiet?: string;
  /** `ingest`: skip the quiet wait (the files are known closed). */
  assumeComplete?: boolean;
  /** Seconds one step of one file may take before it fails with STEP_TIMEOUT. */
  stepTimeout?: string;
  /** This process's name in claims (distinct per process sharing a catalog). */
  owner?: string;
  /** Seconds a claim lasts without renewal (PostgreSQL catalog). */
  lease?: string;
}

/** Adds the shared options to a command. */
export function ingestOptions(command: Command): Command {
  return command
    .requiredOption('--archive <dir>', 'archive root: files go to <archive>/<INSTRUMENT>/<YYYYMMDD>/lev<N>/<archive-id>.fits')
    .option('--catalog <spec>', 'catalog: sqlite:FILE, postgres://USER@HOST/DATABASE or memory: (default: sqlite:<archive>/catalog.sqlite)')
    .option('--instrument <name>', 'treat every file as this instrument (default: match INSTRUME against the descriptions)')
    .option('--instruments <path...>', 'extra instrument descriptions (JSON/YAML files or directories)')
    .option('--generic', 'archive files no description matches with the generic FITS instrument instead of rejecting them')
    .option('--staging <dir>', 'where normalized copies wait for transfer (default: <archive>/.staging)')
    .option('--concurrency <n>', 'files processed at once', '4')
    .option('--json', 'one JSON object per file and line, printed as each file ends')
    .option('--step-timeout <s>', 'seconds one step of one file may take (a hung mount) before it fails with STEP_TIMEOUT (default 1800)')
    .option('--owner <name>', 'this process\'s name in work claims: give each process sharing a catalog its own (default: ingestor; staging then defaults to <archive>/.staging-<name>)')
    .option('--lease <s>', 'PostgreSQL catalog: seconds a claim lasts unless renewed; renewed every third of it while this process works, so a dead host\'s files come back within it (default 30)');
}

/** The JSON line for a file's outcome. */
export function outcome(record: FileRecord): Record<string, unknown> {
  return {
    file: record.source,
    state: record.state,
    archiveId: record.archiveId ?? null,
    recordId: record.id,
    ...(record.error ? { code: record.error.code, message: record.error.message } : {}),
    ...(record.duplicateOf ? { duplicateOf: record.duplicateOf } : {}),
    ...(record.location ? { location: record.location } : {}),
    warnings: record.warnings.map((w) => w.code),
  };
}

/** Prints a file's outcome as a JSON line or a text line; `already`: archived from this path by an earlier run. */
export function printOutcome(io: CliIo, record: FileRecord, json: boolean | undefined, already = false): void {
  if (json) return printJsonLine(io, already ? { ...outcome(record), already: true } : outcome(record));
  const detail =
    record.state === 'ARCHIVED'
      ? `${record.archiveId}${already ? '  (already archived from this path, unchanged)' : ''}${record.warnings.length && !already ? `  warnings: ${record.warnings.map((w) => w.code).join(', ')}` : ''}`
      : record.state === 'DUPLICATE'
        ? `duplicate of record ${record.duplicateOf}`
        : `${record.error?.code ?? ''}: ${record.error?.message ?? ''}`;
  io.stdout.write(`${record.state.padEnd(10)} ${record.source}  ${detail}\n`);
}
