/**
 * Several hosts on one PostgreSQL catalog, with real engines, real files and a real server: leases renewed by the
 * heartbeat (a long step is not taken over; a killed host's files are finished by another within the lease),
 * LISTEN/NOTIFY wake-ups (and polling when they are lost), and connection faults (a server restart, killed
 * backends) ridden out with every file archived exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresCatalog } from '../../../src/adapters/catalogs/postgres.js';
import { createRecord, detectedEntry, type FileRecord } from '../../../src/core/lifecycle/record.js';
import type { Ingestor } from '../../../src/core/runtime/engine.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { createHost, submitAll, writeFrames } from './_postgres-host.js';

let server: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), 'fits-pg-hosts-'));
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A fresh database, archive and incoming folder. */
async function setup(name: string): Promise<{ url: string; db: string; archive: string; incoming: string }> {
  const db = `hosts_${name}`;
  const url = await server.createDatabase(db);
  const archive = join(dir, name, 'archive');
  const incoming = join(dir, name, 'incoming');
  mkdirSync(archive, { recursive: true });
  mkdirSync(incoming, { recursive: true });
  return { url, db, archive, incoming };
}

/** Record ids whose state changed in `host`. */
function touched(host: Ingestor): Set<string> {
  const ids = new Set<string>();
  host.on('state', (record) => ids.add(record.id));
  return ids;
}

/** Every file of `root` (recursively). */
const listAll = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

/** Inserts a DETECTED record for `path` without a lease, as another host's plain catalog write (NOTIFY follows). */
async function insertUnleased(url: string, path: string): Promise<FileRecord> {
  const catalog = createPostgresCatalog({ connectionString: url });
  await catalog.init();
  const record = createRecord({ id: `pushed-${++n}`, source: path, originalName: basename(path), trigger: 'other-host', metadata: { complete: true } }, Date.now());
  await catalog.insertRecord(record, detectedEntry(record));
  await catalog.close();
  return record;
}

/** Checks that the catalog and the archive tree agree one to one, each source ARCHIVED exactly once, no temp files. */
async function expectArchivedOnce(url: string, archive: string, sources: readonly string[]): Promise<void> {
  const catalog = createPostgresCatalog({ connectionString: url });
  await catalog.init();
  const records = await catalog.findRecords({ limit: 10_000 });
  expect(records.filter((r) => r.state === 'ARCHIVED').map((r) => r.source).sort()).toEqual([...sources].sort());
  expect(records.filter((r) => r.state !== 'ARCHIVED').map((r) => [r.source, r.state, r.error?.code])).toEqual([]);
  const archived = await catalog.findArchived({ limit: 10_000 });
  expect(archived).toHaveLength(sources.length);
  const fits = listAll(archive).filter((f) => f.endsWith('.fits') && !f.includes('/.staging/'));
  expect(fits.sort()).toEqual(archived.map((f) => f.locations[0]!.uri).sort());
  expect(listAll(archive).filter((f) => /\.tmp$|\.part$/.test(f) || f.includes('/.staging/'))).toEqual([]);
  await catalog.close();
}

describe('PostgreSQL: leases renewed by a heartbeat', () => {
  it('a step four times longer than the lease is not taken over while its host is alive', async () => {
    const { url, archive, incoming } = await setup('alive');
    const lease = { leaseMs: 600 }; // heartbeat every 200 ms
    const slow = createHost({ url, archive, owner: 'slow', transferDelayMs: 2500, catalog: lease });
    const other = createHost({ url, archive, owner: 'other', claimIntervalMs: 100, catalog: lease });
    await slow.start();
    await other.start();
    const seenByOther = touched(other);
    const paths = writeFrames(incoming, 1, 2);
    const started = Date.now();
    const ids = await submitAll(slow, paths);
    const records = await slow.settled(ids);
    expect(Date.now() - started).toBeGreaterThan(2500);
    expect(records.map((r) => r.state)).toEqual(['ARCHIVED', 'ARCHIVED']);
    expect([...seenByOther]).toEqual([]);
    await Promise.all([slow.stop(), other.stop()]);
    await Promise.all([slow.catalog.close(), other.catalog.close()]);
    await expectArchivedOnce(url, archive, paths);
  }, 30_000);

  it('a host killed (SIGKILL) holding claims: another host finishes its files within the lease bound, not before', async () => {
    const { url, archive, incoming } = await setup('killed');
    const leaseMs = 1500;
    const paths = writeFrames(incoming, 100, 6);
    const survivor = createHost({ url, archive, owner: 'survivor', claimIntervalMs: 200, catalog: { leaseMs } });
    await survivor.start();
    const seen = touched(survivor);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./_postgres-host-child.ts', import.meta.url)), JSON.stringify({ url, archive, owner: 'doomed', paths, transferDelayMs: 60_000, leaseMs })],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('submitted') && resolve());
      child.on('exit', () => reject(new Error(`the child ended early: ${stderr}`)));
    });
    // Alive for 3 leases (its heartbeat renews them): the survivor, polling every 200 ms, takes nothing.
    await new Promise((r) => setTimeout(r, 3 * leaseMs));
    expect([...seen]).toEqual([]);
    const catalog = createPostgresCatalog({ connectionString: url });
    await catalog.init();
    const held = await catalog.findRecords({ limit: 100 });
    expect(held).toHaveLength(6);
    child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await exited).toBe('SIGKILL');
    const records = await survivor.settled(held.map((r) => r.id));
    const took = Date.now() - killedAt;
    expect(records.map((r) => r.state)).toEqual(held.map(() => 'ARCHIVED'));
    // Bound: the lease (its last renewal came at most one lease before it ends) + one claim interval + the work.
    expect(took).toBeLessThan(leaseMs + 200 + 3000);
    await catalog.close();
    await survivor.stop();
    await survivor.catalog.close();
    await expectArchivedOnce(url, archive, paths);
  }, 60_000);
});

describe('PostgreSQL: LISTEN/NOTIFY wake-ups', () => {
  it('new work wakes an idle host well before its next poll', async () => {
    const { url, archive, incoming } = await setup('notify');
    const pollMs = 5000;
    const host = createHost({ url, archive, owner: 'idle', claimIntervalMs: pollMs });
    await host.start();
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN session is open
    const latencies: number[] = [];
    for (const path of writeFrames(incoming, 200, 3)) {
      const first = new Promise<number>((resolve) => host.once('state', () => resolve(Date.now())));
      const sent = Date.now();
      const record = await insertUnleased(url, path);
      latencies.push((await first) - sent);
      expect((await host.settled([record.id]))[0]!.state).toBe('ARCHIVED');
    }
    expect(Math.max(...latencies), `latencies ${latencies.join(', ')} ms`).toBeLessThan(1000);
    await host.stop();
    await host.catalog.close();
  }, 30_000);

  it('a lost notification (the LISTEN connection killed) still ends in the work done, by polling', async () => {
    const { url, db, archive, incoming } = await setup('notify_lost');
    const pollMs = 1500;
    const host = createHost({ url, archive, owner: 'poller', claimIntervalMs: pollMs, catalog: { applicationName: 'poller' } });
    await host.start();
    await new Promise((r) => setTimeout(r, 300));
    const listening = async (): Promise<number> =>
      (await server.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'poller-listen'`, [db])).rows[0].n as number;
    expect(await listening()).toBe(1);
    expect(await server.terminate(db, 'poller-listen')).toBe(1);
    while ((await listening()) > 0) await new Promise((r) => setTimeout(r, 10));
    const [path] = writeFrames(incoming, 300, 1);
    const sent = Date.now();
    const record = await insertUnleased(url, path!);
    expect(await listening(), 'no LISTEN session when the NOTIFY was sent').toBe(0);
    expect((await host.settled([record.id]))[0]!.state).toBe('ARCHIVED');
    expect(Date.now() - sent).toBeLessThan(pollMs + 3000);
    // The session comes back, and hints work again.
    for (let i = 0; i < 100 && (await listening()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await listening()).toBe(1);
    await host.stop();
    await host.catalog.close();
  }, 30_000);
});

describe('PostgreSQL: connection faults are transient', () => {
  it('two hosts ingesting one folder through a server restart and killed backends archive every file exactly once', async () => {
    const { url, db, archive, incoming } = await setup('faults');
    const paths = writeFrames(incoming, 400, 80);
    const hosts = ['a', 'b'].map((owner) => createHost({ url, archive, owner, transferDelayMs: 120, concurrency: 2 }));
    const errors: string[] = [];
    let archived = 0;
    for (const host of hosts) {
      host.on('archived', () => archived++);
      await host.start();
      host.on('halted', (e) => errors.push(e.message));
    }
    // Both hosts see every file (one folder): each submits all of them.
    const submitted = hosts.map((host) => submitAll(host, paths));
    const faults = (async () => {
      await new Promise((r) => setTimeout(r, 400));
      const killed1 = await server.terminate(db);
      await new Promise((r) => setTimeout(r, 600));
      expect(archived, 'the restart comes while files are still being worked on').toBeLessThan(paths.length / 2);
      await server.restart();
      await new Promise((r) => setTimeout(r, 800));
      const killed2 = await server.terminate(db);
      return killed1 + killed2;
    })();
    const ids = await Promise.all(submitted);
    expect(await faults).toBeGreaterThan(0);
    const records = await Promise.all(hosts.map((host, i) => host.settled(ids[i]!)));
    expect(errors).toEqual([]);
    for (const list of records) expect(list.filter((r) => r.state !== 'ARCHIVED').map((r) => [r.source, r.state])).toEqual([]);
    for (const host of hosts) await host.stop();
    for (const host of hosts) await host.catalog.close();
    await expectArchivedOnce(url, archive, paths);
  }, 90_000);
});
