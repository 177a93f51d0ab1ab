/**
 * Reading the program directory (program id → PI name and e-mail) from a JSON or YAML file.
 *
 * @example programs.yaml
 * ```yaml
 * K123: { pi: Ana Astronomer, email: ana@example.edu, title: Dwarf galaxies in Centaurus A }
 * 2026B-U042:
 *   pi: Ben Observer
 *   email: [ben@example.org, team@example.org]
 * ```
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IngestError, toIngestError } from '../../core/errors.js';
import { parseProgramDirectory, type ProgramDirectory } from '../../core/notify/programs.js';

/**
 * Reads and validates a program directory file: `.json`, or YAML (`.yaml`, `.yml`).
 *
 * @throws IngestError INVALID_OPTIONS naming the file and the program that is wrong; FILE_NOT_FOUND or IO_ERROR.
 */
export async function loadProgramDirectory(path: string): Promise<ProgramDirectory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw toIngestError(error, { file: path });
  }
  const json = extname(path).toLowerCase() === '.json';
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    throw new IngestError('INVALID_OPTIONS', `not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`, {
      context: { file: path },
      cause: error,
    });
  }
  return parseProgramDirectory(data ?? {}, path);
}
