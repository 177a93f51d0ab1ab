/** `fits-ingest versions list|prune`: old versions keep their bytes until an admin prunes one explicitly. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { createFilesystemTransport } from '../../src/adapters/transports/filesystem.js';
import { builtinInstruments, createIngestor } from '../../src/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';

let dir: string;
let archive: string;
let spec: string;
let archiveId: string;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fits-cli-versions-'));
  archive = join(dir, 'archive');
  mkdirSync(archive);
  const catalogPath = join(archive, 'catalog.sqlite');
  spec = `sqlite:${catalogPath}`;
  const options = { time: new Date(Date.UTC(2026, 10, 20, 8, 0, 0)), frameNumber: 7, axes: [64, 64] as [number, number] };
  const source = join(dir, frameName(options));
  const ingestor = createIngestor({
    instruments: builtinInstruments(),
    catalog: createSqliteCatalog({ path: catalogPath, instruments: [...builtinInstruments()] }),
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(archive, '.staging'),
    tickMs: 10,
  });
  await ingestor.start();
  // Three versions: the original, and two reingests of rewritten files.
  for (const seed of [1, 2, 3]) {
    writeFileSync(source, makeFrame({ ...options, seed }));
    const { record } = seed === 1 ? await ingestor.submit({ path: source, trigger: 'test', detectedAt: Date.now(), complete: true }) : await ingestor.reingest(source);
    const [done] = await ingestor.settled([record.id]);
    expect(done!.state).toBe('ARCHIVED');
    archiveId = done!.archiveId!;
  }
  await ingestor.stop();
  await ingestor.catalog.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Version = { version: number; state: string; sha256: string; locations: string[]; recordId: string };
const list = async () => (await cli('versions', 'list', '--catalog', spec, '--archive-id', archiveId, '--json')).lines.map((l) => JSON.parse(l) as Version);

describe('fits-ingest versions', () => {
  it('lists every version, each location holding the bytes its record says', async () => {
    const versions = await list();
    expect(versions.map((v) => [v.version, v.state])).toEqual([[1, 'SUPERSEDED'], [2, 'SUPERSEDED'], [3, 'ARCHIVED']]);
    expect(new Set(versions.map((v) => v.locations[0])).size).toBe(3);
    for (const v of versions) expect(sha(v.locations[0]!)).toBe(v.sha256);
  });

  it('prunes only with --yes, never the current version, and records who did it', async () => {
    const [v1, v2, v3] = await list();
    const unconfirmed = await cli('versions', 'prune', '--catalog', spec, '--archive-id', archiveId, '--number', '1');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/confirm it explicitly/);
    expect(existsSync(v1!.locations[0]!)).toBe(true);
    const current = await cli('versions', 'prune', '--catalog', spec, '--archive-id', archiveId, '--number', '3', '--yes');
    expect(current.code).toBe(2);
    expect(current.stderr).toMatch(/the current one/);
    expect(existsSync(v3!.locations[0]!)).toBe(true);

    const pruned = await cli('versions', 'prune', '--catalog', spec, '--archive-id', archiveId, '--number', '2', '--yes', '--actor', 'admin:ana', '--json');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.lines[0]!)).toMatchObject({ version: 2, removed: [v2!.locations[0]] });
    expect(existsSync(v2!.locations[0]!)).toBe(false);
    expect(existsSync(`${v2!.locations[0]!}.json`)).toBe(false);
    // The others are intact; the manifest no longer lists the pruned copy and still checks.
    expect(sha(v1!.locations[0]!)).toBe(v1!.sha256);
    expect(sha(v3!.locations[0]!)).toBe(v3!.sha256);
    const night = dirname(dirname(v1!.locations[0]!));
    const manifest = readFileSync(join(night, 'MANIFEST.sha256'), 'utf8');
    expect(manifest).not.toContain(v2!.sha256);
    expect(manifest).toContain(v1!.sha256);
    execFileSync('sha256sum', ['--strict', '-c', 'MANIFEST.sha256'], { cwd: night });
    // The history says who pruned what.
    const after = await list();
    expect(after[1]).toMatchObject({ state: 'SUPERSEDED', locations: [] });
    const catalog = createSqliteCatalog({ path: spec.slice('sqlite:'.length), instruments: [...builtinInstruments()] });
    await catalog.init();
    const history = await catalog.history(v2!.recordId);
    await catalog.close();
    expect(history.at(-1)).toMatchObject({ from: 'SUPERSEDED', to: 'SUPERSEDED', cause: 'PRUNE', actor: 'admin:ana' });
    expect(history.at(-1)!.message).toContain(v2!.locations[0]);
  });
});
