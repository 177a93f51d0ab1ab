/**
 * Four `fits-ingest watch` processes (four hosts: distinct --owner) on one folder and one PostgreSQL catalog, killed
 * with SIGKILL at random moments (seeded) and restarted while files arrive; then a final `ingest` run. Every file is
 * ARCHIVED exactly once, the archive tree and the catalog agree one to one, and no temp or staged file is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCatalog } from '../../src/adapters/catalogs/postgres.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const FILES = 200;
let server: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), 'fits-cli-pg-hosts-'));
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const listAll = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('four watch processes on one PostgreSQL catalog, killed at random', () => {
  it('archive every file exactly once across 12 SIGKILLs, and a final run finds nothing left to do', async () => {
    const url = await server.createDatabase('four_hosts');
    const incoming = join(dir, 'incoming');
    const archive = join(dir, 'archive');
    mkdirSync(incoming, { recursive: true });
    let seed = 20261203;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

    const hosts = ['h1', 'h2', 'h3', 'h4'];
    const procs = new Map<string, ChildProcess>();
    const stderr: string[] = [];
    const archivedBy = new Map<string, number>();
    const launch = (owner: string): void => {
      const child = spawn(process.execPath, [BIN, 'watch', incoming, '--archive', archive, '--catalog', url, '--owner', owner, '--lease', '2', '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr!.on('data', (d) => stderr.push(`${owner}: ${d}`));
      child.stdout!.on('data', (d: Buffer) => archivedBy.set(owner, (archivedBy.get(owner) ?? 0) + (d.toString().match(/"state":"ARCHIVED"/g)?.length ?? 0)));
      procs.set(owner, child);
    };
    const exited = (child: ChildProcess): Promise<void> =>
      child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
    for (const owner of hosts) launch(owner);

    // Files arrive in 20 bursts of 10 while, every 300–900 ms, one watcher is killed and started again.
    const start = Date.UTC(2026, 10, 20, 6, 0, 0);
    const writer = (async () => {
      for (let n = 1; n <= FILES; n++) {
        const options = { time: new Date(start + n * 61_000), frameNumber: n, axes: [24, 24] as [number, number] };
        writeFileSync(join(incoming, frameName(options)), makeFrame(options));
        if (n % 10 === 0) await sleep(250);
      }
    })();
    let kills = 0;
    while (kills < 12) {
      await sleep(300 + Math.floor(random() * 600));
      const owner = hosts[Math.floor(random() * hosts.length)]!;
      const child = procs.get(owner)!;
      child.kill('SIGKILL');
      await exited(child);
      kills++;
      launch(owner);
    }
    await writer;

    // Bounded wait for the survivors to finish (dead hosts' leases end within 2 s).
    const catalog = createPostgresCatalog({ connectionString: url });
    await catalog.init();
    for (let i = 0; i < 120 && (await catalog.counts()).ARCHIVED < FILES; i++) await sleep(500);
    for (const child of procs.values()) child.kill('SIGTERM');
    await Promise.all([...procs.values()].map(exited));

    // The final run: everything is already archived.
    const final = await cli('ingest', incoming, '--archive', archive, '--catalog', url, '--owner', 'final', '--assume-complete', '--json');
    expect(final.code, final.stderr).toBe(0);
    const lines = final.lines.map((l) => JSON.parse(l) as { state: string; already?: boolean });
    expect(lines).toHaveLength(FILES);
    expect(lines.filter((l) => l.state !== 'ARCHIVED')).toEqual([]);

    const records = await catalog.findRecords({ limit: 10_000 });
    const archivedRecords = records.filter((r) => r.state === 'ARCHIVED');
    expect(archivedRecords).toHaveLength(FILES);
    expect(new Set(archivedRecords.map((r) => r.source)).size).toBe(FILES);
    // No other record at all: a watcher restarting while another host commits a file sees that commit in the same
    // catalog step as its insert (the insert's guard), so no second record ends DUPLICATE.
    expect(records.filter((r) => r.state !== 'ARCHIVED').map((r) => [r.source, r.state, r.error?.code])).toEqual([]);
    expect(records).toHaveLength(FILES);
    const archived = await catalog.findArchived({ limit: 10_000 });
    expect(archived).toHaveLength(FILES);
    const tree = listAll(archive);
    expect(tree.filter((f) => f.endsWith('.fits')).sort()).toEqual(archived.map((f) => f.locations[0]!.uri).sort());
    expect(tree.filter((f) => /\.tmp$|\.part$/.test(f) || /\/\.staging/.test(f))).toEqual([]);
    // The hosts shared the work.
    expect([...archivedBy.values()].filter((n) => n > 0).length, JSON.stringify([...archivedBy])).toBeGreaterThan(1);
    for (const line of stderr) expect(line).not.toContain(server.password);
    await catalog.close();
  }, 240_000);
});
