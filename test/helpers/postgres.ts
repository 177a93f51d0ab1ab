/**
 * A throw-away PostgreSQL cluster for tests: initdb + pg_ctl from /usr/lib/postgresql/<version>/bin, run as the
 * `postgres` system user (PostgreSQL refuses root) in a temporary directory, listening on a free 127.0.0.1 port
 * with password authentication, fsync off. A cluster that cannot start fails the test with the reason (never a skip).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

/** A running cluster. */
export interface TestPostgres {
  /** Port on 127.0.0.1. */
  port: number;
  /** The superuser's password (tests check that it is never printed). */
  password: string;
  /** Connection URL of `database` (created by {@link createDatabase}; `postgres` exists). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL statement as the superuser on `database`. */
  query(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is down for a moment, then up on the same port. */
  restart(): Promise<void>;
  /** Kills (pg_terminate_backend) the backends of `database` other than this one's; returns how many. */
  terminate(database: string, applicationName?: string): Promise<number>;
  stop(): Promise<void>;
}

/** The bin directory of the newest installed PostgreSQL, or a clear error naming the Debian package. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no initdb under ${root}/*/bin: install the Debian package postgresql (scripts/setup-test.sh does)`);
  return join(root, newest, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function asPostgres(command: string, args: string[]): string {
  try {
    return execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed (as the postgres system user): ${e.stderr || e.message}`);
  }
}

/** Starts a cluster; call `stop()` in afterAll. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync('/tmp/fits-ingest-pg-');
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password);
  chownSync(pwfile, uid, gid);
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  try {
    asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-o', settings, '-l', log, '-w', '-t', '30', 'start']);
  } catch (error) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\nserver log:\n${text}`);
  }
  const url = (database = 'postgres'): string => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const query = async (sql: string, params: unknown[] = [], database = 'postgres'): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    password,
    url,
    query,
    async restart() {
      await new Promise<void>((resolve, reject) =>
        execFile('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-o', settings, '-l', log, '-m', 'fast', '-w', '-t', '30', 'restart'], { timeout: 60_000 }, (error, _out, stderr) =>
          error ? reject(new Error(`pg_ctl restart failed: ${stderr || error.message}`)) : resolve(),
        ),
      );
    },
    async terminate(database, applicationName) {
      const { rows } = await query(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()${applicationName ? ' AND application_name = $2' : ''}`,
        applicationName ? [database, applicationName] : [database],
      );
      return rows[0].n as number;
    },
    async createDatabase(name) {
      await query(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    async stop() {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
