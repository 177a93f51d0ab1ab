/**
 * The untended media transport killed (SIGKILL) mid-volume during live ingestion, then restarted: the serials stay
 * one unbroken sequence, every archived file is on media exactly once per copy, GNU tar reads every volume back
 * byte-identical to the archive, and a remote catalog fed only by the index messages agrees with the volumes' own
 * indexes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../../src/adapters/catalogs/sqlite.js';
import { createIndexMessageHandler, readVolume, verifyVolumes } from '../../../../src/adapters/transports/media/index.js';
import { loadInstruments } from '../../../../src/cli/_setup.js';
import { frameName, makeFrame } from '../../../../src/simulator/frames.js';
import { systemTar, workspace } from './_media-fixtures.js';

const WORKER = join(import.meta.dirname, '_live-worker.ts');
const SECRET = 'a-shared-secret-of-the-two-sites';
const T = Date.UTC(2026, 10, 21, 6, 0, 0);
const FRAMES = 14;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function worker(args: string[], pause: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (pause && out.includes('paused')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (pause ? signal === 'SIGKILL' : code === 0) resolve(out);
      else reject(new Error(`worker exited ${code ?? signal}: ${err}`));
    });
  });
}

describe('createMediaTransport: SIGKILL mid-volume during live ingestion', () => {
  const remote = { server: undefined as Server | undefined, url: '', dir: '' };
  let remoteCatalog: ReturnType<typeof createSqliteCatalog>;

  beforeAll(async () => {
    remote.dir = workspace().dir;
    remoteCatalog = createSqliteCatalog({ path: join(remote.dir, 'remote.sqlite'), instruments: await loadInstruments(undefined) });
    await remoteCatalog.init();
    remote.server = createServer(createIndexMessageHandler({ catalog: remoteCatalog, secret: SECRET, volumeRoot: '/vault/media' }));
    await new Promise<void>((r) => remote.server!.listen(0, '127.0.0.1', r));
    remote.url = `http://127.0.0.1:${(remote.server.address() as AddressInfo).port}/media/index`;
  });
  afterAll(async () => {
    await new Promise((r) => remote.server?.close(r));
    await remoteCatalog.close();
  });

  it('restarts with unbroken serials, each file once per copy, volumes read by GNU tar, and the remote catalog agreeing', async () => {
    const { dir, src } = workspace();
    const [disk1, disk2] = [join(dir, 'disk1'), join(dir, 'disk2')];
    mkdirSync(disk1);
    mkdirSync(disk2);
    for (let n = 1; n <= FRAMES; n++) {
      const options = { time: new Date(T + n * 61_000), frameNumber: n, axes: [64, 64] as [number, number] };
      writeFileSync(join(src, frameName(options)), makeFrame(options));
    }
    const archive = join(dir, 'archive');
    const args = [archive, src, disk1, disk2, remote.url, SECRET];

    // First run: killed once 8 frames are archived and the open volume holds members.
    await worker([...args, '8'], true);
    const partials = readdirSync(disk1).filter((n) => n.endsWith('.tar.partial'));
    expect(partials).toHaveLength(1);
    expect(readdirSync(disk2).filter((n) => n.endsWith('.tar.partial'))).toHaveLength(1);
    const firstComplete = readdirSync(disk1).filter((n) => n.endsWith('.tar'));
    expect(firstComplete.length).toBeGreaterThanOrEqual(1);
    // The partial volume is an unfinished tar: members so far, no index.
    const listing = spawnSync('tar', ['-tf', join(disk1, partials[0]!)], { encoding: 'utf8' });
    expect(listing.stdout).toContain('.label.json');
    expect(listing.stdout).not.toContain('.index.json');

    // Second run: resumes, ingests the rest, closes the last volume at the end of the night.
    const summary = JSON.parse((await worker(args, false)).trim().split('\n').at(-1)!) as { started: { discarded: string[] }; undelivered: number; failed: number; error?: string };
    expect(summary.error).toBeUndefined();
    expect(summary.failed).toBe(0);
    expect(summary.undelivered).toBe(0);
    expect(summary.started.discarded.sort()).toEqual([join(disk1, partials[0]!), join(disk2, partials[0]!.replace('.c1.', '.c2.'))].sort());
    expect([...readdirSync(disk1), ...readdirSync(disk2)].filter((n) => n.endsWith('.partial'))).toEqual([]);

    const volumes = [...readdirSync(disk1).filter((n) => n.endsWith('.tar')).map((n) => join(disk1, n)), ...readdirSync(disk2).filter((n) => n.endsWith('.tar')).map((n) => join(disk2, n))];
    const verdict = await verifyVolumes(volumes);
    expect(verdict.failures).toEqual([]);
    expect(verdict.gaps).toEqual([]);
    expect(verdict.repeats).toEqual([]);

    const catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite') });
    await catalog.init();
    const files = await catalog.findArchived({});
    expect(files).toHaveLength(FRAMES);
    const indexes = await Promise.all(volumes.map(async (v) => ({ path: v, index: (await readVolume(v)).index })));
    const serials = indexes.filter((v) => v.index.copy === 1).flatMap((v) => v.index.members.map((m) => m.serial)).sort((a, b) => a - b);
    expect(serials).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
    for (const file of files) {
      for (const copy of [1, 2]) {
        const members = indexes.filter((v) => v.index.copy === copy).flatMap((v) => v.index.members.filter((m) => m.archiveId === file.archiveId));
        expect(members, `${file.archiveId} copy ${copy}`).toHaveLength(1);
        expect(members[0]!.sha256).toBe(file.sha256);
      }
      const onMedia = file.locations.filter((l) => l.medium);
      expect(onMedia.map((l) => l.medium!.copy).sort()).toEqual([1, 2]);
    }

    // GNU tar extracts every copy; each member is byte-identical to the archived copy.
    const byId = new Map(files.map((f) => [f.archiveId, f]));
    for (const { path, index } of indexes) {
      const to = join(dir, 'x', `${index.label}.c${index.copy}`);
      mkdirSync(to, { recursive: true });
      systemTar('tar', ['-xf', path, '-C', to]);
      for (const m of index.members) {
        const file = byId.get(m.archiveId!)!;
        const local = file.locations.find((l) => !l.medium)!.uri;
        expect(sha256(readFileSync(join(to, m.name)))).toBe(sha256(readFileSync(local)));
      }
    }

    // The remote catalog, fed only by the index messages, agrees with the volumes' own indexes.
    for (const { path, index } of indexes) {
      for (const m of index.members) {
        const there = await remoteCatalog.getArchived(m.archiveId!);
        expect(there?.sha256).toBe(m.sha256);
        const name = path.split('/').pop()!;
        const location = there!.locations.find((l) => l.uri === `/vault/media/${name}#${m.name}`);
        expect(location?.medium).toEqual({ volume: index.label, copy: index.copy, member: m.member, offset: m.offset, serial: m.serial });
      }
    }
    const remoteFiles = await remoteCatalog.findArchived({});
    expect(remoteFiles.map((f) => f.archiveId).sort()).toEqual(files.map((f) => f.archiveId).sort());
    for (const f of remoteFiles) {
      expect(f.locations.filter((l) => l.medium)).toHaveLength(2);
      expect(f.instrument).toBe(byId.get(f.archiveId)!.instrument);
      const history = await remoteCatalog.history(f.recordId);
      expect(history.map((h) => h.cause)).toEqual(['RESTORED_FROM_MEDIA']);
    }
    await catalog.close();
  }, 120_000);
});
