/**
 * Two `fits-ingest serve` processes behind one PostgreSQL catalog and one upload directory (as behind a load
 * balancer): both accept pushes, every file is archived once, and each server reads what the other archived.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCatalog } from '../../src/adapters/catalogs/postgres.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { freePort, startServe, type ServeChild } from '../adapters/http/_serve-child.js';

let server: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), 'fits-cli-pg-serve-'));
const children: ServeChild[] = [];
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exit));
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('two serve processes on one PostgreSQL catalog', () => {
  it('both accept pushes; every file is archived once and both see all of them', async () => {
    const url = await server.createDatabase('two_serves');
    const archive = join(dir, 'archive');
    const uploads = join(dir, 'uploads');
    const incoming = join(dir, 'incoming');
    mkdirSync(incoming, { recursive: true });
    const T = Date.UTC(2026, 10, 20, 6, 0, 0);
    const paths = Array.from({ length: 6 }, (_, i) => {
      const options = { time: new Date(T + (i + 1) * 61_000), frameNumber: i + 1, axes: [16, 16] as [number, number] };
      const path = join(incoming, frameName(options));
      writeFileSync(path, makeFrame(options));
      return path;
    });
    for (const owner of ['serve-a', 'serve-b']) {
      children.push(await startServe(['--archive', archive, '--catalog', url, '--owner', owner, '--uploads', uploads, '--port', String(await freePort()), '--no-auth']));
    }
    const [a, b] = children as [ServeChild, ServeChild];
    const pushA = await cli('push', ...paths.slice(0, 3), '--to', a.url, '--json');
    const pushB = await cli('push', ...paths.slice(3), '--to', b.url, '--json');
    for (const push of [pushA, pushB]) {
      expect(push.code, push.stderr).toBe(0);
      expect(push.lines.map((l) => (JSON.parse(l) as { state: string }).state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    }
    // The same file pushed to the other server again is the one already archived, not a second copy.
    const again = await cli('push', paths[0]!, '--to', b.url, '--json');
    expect(again.code, again.stderr).toBe(0);
    const catalog = createPostgresCatalog({ connectionString: url });
    await catalog.init();
    const archived = await catalog.findArchived({ limit: 100 });
    expect(archived).toHaveLength(6);
    expect((await catalog.counts()).ARCHIVED).toBeGreaterThanOrEqual(6);
    await catalog.close();
    // Each server answers for files the other archived.
    for (const [serve, file] of [[a, archived.find((f) => f.originalName === frameName({ time: new Date(T + 4 * 61_000), frameNumber: 4 }))!], [b, archived[0]!]] as const) {
      const res = await fetch(`${serve.url}/v1/files/${encodeURIComponent(file.archiveId)}`);
      expect(res.status, `${serve.url} ${file.archiveId}`).toBe(200);
      await res.body?.cancel();
    }
  }, 120_000);
});
