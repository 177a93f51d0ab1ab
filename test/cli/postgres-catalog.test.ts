/**
 * The CLI on a PostgreSQL catalog: `--catalog postgres://…` (or `postgres:` with the PG* environment variables) for
 * ingest and status, the password never printed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const T = Date.UTC(2026, 10, 20, 6, 0, 0);
let server: TestPostgres;
let dir: string;

beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'fits-cli-postgres-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server?.stop();
});

describe('fits-ingest --catalog postgres://…', () => {
  it('ingest archives into the PostgreSQL catalog and status reads them back as ARCHIVED', async () => {
    const url = await server.createDatabase('cli_ingest');
    const incoming = join(dir, 'incoming');
    mkdirSync(incoming);
    for (let n = 1; n <= 3; n++) {
      const options = { time: new Date(T + n * 61_000), frameNumber: n, axes: [32, 32] as [number, number] };
      writeFileSync(join(incoming, frameName(options)), makeFrame(options));
    }
    const archive = join(dir, 'archive');
    const ingest = await cli('ingest', incoming, '--archive', archive, '--catalog', url, '--json');
    expect(ingest.code, ingest.stderr).toBe(0);
    const lines = ingest.lines.map((l) => JSON.parse(l) as { state: string; archiveId: string });
    expect(lines.map((l) => l.state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    for (const l of lines) expect(existsSync(join(archive, 'KCWI', '20261120', 'lev0', `${l.archiveId}.fits`))).toBe(true);
    expect(existsSync(join(archive, 'catalog.sqlite')), 'no SQLite catalog beside the archive').toBe(false);

    const status = await cli('status', '--catalog', url, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.lines[0]!).counts).toMatchObject({ ARCHIVED: 3, INVALID: 0 });
    const rows = await server.query('SELECT count(*)::int AS n FROM archived_files WHERE is_current = 1', [], 'cli_ingest');
    expect(rows.rows[0].n).toBe(3);
    for (const out of [ingest, status]) expect(out.stdout + out.stderr).not.toContain(server.password);
  });

  it('an unreachable server fails without printing the password', async () => {
    const url = server.url('cli_ingest').replace(`:${server.port}/`, ':1/');
    const status = await cli('status', '--catalog', url);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('CATALOG_UNREACHABLE');
    expect(status.stdout + status.stderr).not.toContain(server.password);
    const typo = await cli('status', '--catalog', url.replace('postgres://', 'postgress://'));
    expect(typo.code).toBe(2);
    expect(typo.stdout + typo.stderr).not.toContain(server.password);
  });

  it('postgres: alone takes the server from PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE; a wrong PGPASSWORD is refused, unprinted', async () => {
    await server.createDatabase('cli_pgenv');
    const incoming = join(dir, 'incoming-env');
    mkdirSync(incoming);
    for (let n = 1; n <= 2; n++) {
      const options = { time: new Date(T + n * 67_000), frameNumber: n, axes: [32, 32] as [number, number] };
      writeFileSync(join(incoming, frameName(options)), makeFrame(options));
    }
    const env = { PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'postgres', PGPASSWORD: server.password, PGDATABASE: 'cli_pgenv' };
    /** The built CLI in a child process with `extra` in its environment. */
    const run = (args: string[], extra: Record<string, string>): Promise<{ code: number; out: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [join(process.cwd(), 'dist/cli/main.js'), ...args], { env: { ...process.env, ...extra }, timeout: 120_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
        );
      });
    const ingest = await run(['ingest', incoming, '--archive', join(dir, 'archive-env'), '--catalog', 'postgres:', '--json'], env);
    expect(ingest.code, ingest.out).toBe(0);
    expect(ingest.out.match(/"state":"ARCHIVED"/g)).toHaveLength(2);
    expect((await server.query('SELECT count(*)::int AS n FROM archived_files', [], 'cli_pgenv')).rows[0].n).toBe(2);
    expect(ingest.out).not.toContain(server.password);

    const refused = await run(['status', '--catalog', 'postgres:'], { ...env, PGPASSWORD: 'wrong-secret-4711' });
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain('CATALOG_UNUSABLE');
    expect(refused.out).not.toContain('wrong-secret-4711');
  });
});
