import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIngestError, type IngestError } from '../../src/core/errors.js';
import {
  builtinInstrumentInputs,
  loadInstrument,
  loadInstrumentDirectory,
  loadInstrumentFile,
  parseInstrumentText,
} from '../../src/instruments/index.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fits-ingest-instruments-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(run: () => Promise<unknown>): Promise<IngestError> {
  try {
    await run();
  } catch (error) {
    if (isIngestError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const yamlCamera = `
name: TESTCAM
aliases: [TESTCAM, TESTCAM-B]
keywordMap:
  UTC: [UTC, UT]
  DATE-OBS: [DATE-OBS, DATE]
archiveId:
  prefixRules:
    - when: { keyword: CAMERA, equals: B }
      prefix: TB
  defaultPrefix: TC
imageTypeRules:
  - when: { keyword: OBSTYPE, matches: '^bias$', flags: i }
    type: bias
keywordTable:
  - { keyword: OBJECT, type: string, width: 68 }
  - { keyword: DATE-OBS, type: date, nullable: false }
`;

describe('loading description files', () => {
  it('loads YAML', async () => {
    const d = await loadInstrumentFile(await file('testcam.yaml', yamlCamera));
    expect(d.name).toBe('TESTCAM');
    expect(d.keywordMap['DATE-OBS']).toEqual(['DATE-OBS', 'DATE']);
    expect(d.archiveId.prefixRules[0]!.when).toEqual({ keyword: 'CAMERA', equals: 'B' });
    expect(d.keywordTable[1]!.column).toBe('date_obs');
  });

  it('loads JSON, from a path or a file URL', async () => {
    const path = await file('kcwi.json', JSON.stringify(builtinInstrumentInputs.kcwi, null, 2));
    const d = await loadInstrumentFile(pathToFileURL(path));
    expect(d.name).toBe('KCWI');
    expect((await loadInstrument(path)).archiveId).toEqual(d.archiveId);
  });

  it('validates objects in memory', async () => {
    expect((await loadInstrument(builtinInstrumentInputs.nires)).name).toBe('NIRES');
    const error = await failure(() => loadInstrument({ name: 'X', archiveId: { defaultPrefix: 'xyz' } }));
    expect(error.context).toMatchObject({ file: '(object X)', field: 'archiveId.defaultPrefix' });
  });

  it('names the file and the field of a schema error in YAML', async () => {
    const path = await file('bad-type.yml', yamlCamera.replace('type: date', 'type: timestamp'));
    const error = await failure(() => loadInstrumentFile(path));
    expect(error.code).toBe('INSTRUMENT_CONFIG_INVALID');
    expect(error.context).toMatchObject({ file: path, field: 'keywordTable[1].type' });
    expect(error.message.startsWith(`${path}, field keywordTable[1].type: `)).toBe(true);
  });

  it('reports a bad regex in YAML at load', async () => {
    const path = await file('bad-regex.yaml', yamlCamera.replace("'^bias$'", "'^(bias'"));
    const error = await failure(() => loadInstrumentFile(path));
    expect(error.context.field).toBe('imageTypeRules[0].when.matches');
  });

  it('reports YAML syntax errors with the line', async () => {
    const path = await file('broken.yaml', 'name: X\narchiveId: { defaultPrefix: XX\nnotes: x\n');
    const error = await failure(() => loadInstrumentFile(path));
    expect(error.code).toBe('INSTRUMENT_CONFIG_INVALID');
    expect(error.detail).toMatch(/^not valid YAML/);
    expect(error.context.line).toBeGreaterThan(1);
  });

  it('reports duplicate YAML keys', async () => {
    const path = await file('dup.yaml', 'name: X\nname: Y\narchiveId: { defaultPrefix: XX }\n');
    expect((await failure(() => loadInstrumentFile(path))).detail).toMatch(/not valid YAML/);
  });

  it('reports JSON syntax errors', async () => {
    const path = await file('broken.json', '{ "name": "X", }');
    const error = await failure(() => loadInstrumentFile(path));
    expect(error.detail).toMatch(/^not valid JSON/);
    expect(error.context.file).toBe(path);
  });

  it('refuses other file types and missing files', async () => {
    expect((await failure(() => loadInstrumentFile(join(dir, 'x.toml')))).code).toBe('FILE_NOT_FOUND');
    expect(() => parseInstrumentText('name = "x"', 'x.toml')).toThrow(/unknown description file type ".toml"/);
    const missing = await failure(() => loadInstrumentFile(join(dir, 'absent.yaml')));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.context.file).toBe(join(dir, 'absent.yaml'));
  });
});

describe('loadInstrumentDirectory', () => {
  it('loads every description of a directory, sorted by file name', async () => {
    const sub = await mkdtemp(join(dir, 'set-'));
    await writeFile(join(sub, 'b.yaml'), yamlCamera);
    await writeFile(join(sub, 'a.json'), JSON.stringify(builtinInstrumentInputs.hires));
    await writeFile(join(sub, 'README.md'), '# not a description');
    expect((await loadInstrumentDirectory(sub)).map((d) => d.name)).toEqual(['HIRES', 'TESTCAM']);
  });

  it('refuses two descriptions that claim the same INSTRUME value', async () => {
    const sub = await mkdtemp(join(dir, 'clash-'));
    await writeFile(join(sub, 'a.yaml'), yamlCamera);
    await writeFile(join(sub, 'b.yaml'), yamlCamera.replace('name: TESTCAM', 'name: OTHER'));
    const error = await failure(() => loadInstrumentDirectory(sub));
    expect(error.code).toBe('INSTRUMENT_CONFIG_INVALID');
    expect(error.detail).toBe(`"testcam" names both ${join(sub, 'a.yaml')} and ${join(sub, 'b.yaml')}`);
    expect(error.context).toMatchObject({ file: join(sub, 'b.yaml'), field: 'aliases' });
  });

  it('reports a missing directory', async () => {
    expect((await failure(() => loadInstrumentDirectory(join(dir, 'nope')))).code).toBe('FILE_NOT_FOUND');
  });
});
