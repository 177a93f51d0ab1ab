/** Reading the program directory from JSON and YAML files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProgramDirectory } from '../../../src/adapters/notifiers/program-directory.js';
import { isIngestError } from '../../../src/core/errors.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'fits-programs-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe('loadProgramDirectory', () => {
  it('reads YAML and JSON', async () => {
    const yaml = file('programs.yaml', 'K123: { pi: Ana Astronomer, email: ana@example.edu, title: Dwarfs }\n2026B-U042:\n  pi: Ben Observer\n  email: [ben@example.org, team@example.org]\n');
    expect(await loadProgramDirectory(yaml)).toEqual({
      K123: { pi: 'Ana Astronomer', email: 'ana@example.edu', title: 'Dwarfs' },
      '2026B-U042': { pi: 'Ben Observer', email: ['ben@example.org', 'team@example.org'] },
    });
    expect(await loadProgramDirectory(file('p.json', '{"K1": {"pi": "X", "email": "x@example.org"}}'))).toEqual({ K1: { pi: 'X', email: 'x@example.org' } });
    expect(await loadProgramDirectory(file('empty.yaml', '# nobody yet\n'))).toEqual({});
  });

  it('names the file and the program that is wrong', async () => {
    const bad = await failure(loadProgramDirectory(file('bad.yaml', 'K1: { pi: X, email: not-an-address }\n')));
    expect(isIngestError(bad, 'INVALID_OPTIONS')).toBe(true);
    expect((bad as Error).message).toContain('bad.yaml: K1.email');
    const syntax = await failure(loadProgramDirectory(file('broken.json', '{"K1": ')));
    expect((syntax as Error).message).toMatch(/not valid JSON/);
    expect(isIngestError(await failure(loadProgramDirectory(join(dir, 'missing.yaml'))), 'FILE_NOT_FOUND')).toBe(true);
  });
});
