/**
 * Loading instrument descriptions from JSON or YAML files. Reading and text parsing happen here; validation is
 * the pure {@link parseInstrument}.
 *
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { IngestError, toIngestError } from '../core/errors.js';
import { checkInstrumentSet } from '../core/instruments/find-instrument.js';
import { parseInstrument } from '../core/instruments/parse-instrument.js';
import { withProcessingRules } from '../core/instruments/processing.js';
import type { InstrumentDescription, InstrumentInput } from '../core/instruments/schema.js';

const EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

/** Parses the text of a description file (JSON or YAML by extension) into plain data. Pure. */
export function parseInstrumentText(text: string, source: string): unknown {
  const ext = extname(source).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new IngestError('INSTRUMENT_CONFIG_INVALID', `not valid JSON: ${(error as Error).message}`, {
        context: { file: source },
        cause: error,
      });
    }
  }
  if (ext === '.yaml' || ext === '.yml') {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    const error = doc.errors[0];
    if (error) {
      throw new IngestError('INSTRUMENT_CONFIG_INVALID', `not valid YAML: ${error.message}`, {
        context: { file: source, line: error.linePos?.[0].line },
        cause: error,
      });
    }
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  }
  throw new IngestError('INSTRUMENT_CONFIG_INVALID', `unknown description file type "${ext || '(none)'}"`, {
    context: { file: source },
    hint: `name instrument descriptions *${EXTENSIONS.join(', *')}`,
  });
}

/** Reads and validates one description file (`.json`, `.yaml` or `.yml`). */
export async function loadInstrumentFile(path: string | URL): Promise<InstrumentDescription> {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw toIngestError(error, { file });
  }
  return parseInstrument(parseInstrumentText(text, file), file);
}

/**
 * Loads a description from a file path or URL, or validates an object already in memory (its source is then
 * reported as `(object <name>)`).
 */
export async function loadInstrument(pathOrObject: string | URL | InstrumentInput): Promise<InstrumentDescription> {
  if (typeof pathOrObject === 'string' || pathOrObject instanceof URL) return loadInstrumentFile(pathOrObject);
  const name = (pathOrObject as { name?: unknown }).name;
  return parseInstrument(pathOrObject, `(object ${typeof name === 'string' ? name : 'without a name'})`);
}

/**
 * Loads every `.json`, `.yaml` and `.yml` file of a directory (not recursive), sorted by file name, and checks
 * that no two descriptions share a name or an alias.
 */
export async function loadInstrumentDirectory(dir: string): Promise<InstrumentDescription[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw toIngestError(error, { file: dir });
  }
  const files = names
    .filter((n) => (EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase()))
    .sort()
    .map((n) => join(dir, n));
  const descriptions = await Promise.all(files.map((f) => loadInstrumentFile(f)));
  checkInstrumentSet(descriptions, files);
  return descriptions;
}

/** Reads a processing-rules file (`{ INSTRUMENT: [rules…] }`, JSON or YAML) and puts its rules into `descriptions`. */
export async function loadProcessingRules(path: string, descriptions: readonly InstrumentDescription[]): Promise<InstrumentDescription[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw toIngestError(error, { file: path });
  }
  return withProcessingRules(descriptions, parseInstrumentText(text, path), path);
}
