/**
 * `watch --media-out … --media-send` and `media receive`, as two real processes: frames dropped into the watched
 * folder are archived, written live onto two-copy volumes that close at their size, and the data center's catalog,
 * fed only by the signed index messages, locates every member of every closed volume. `media apply` applies a
 * message kept as a file, and applying it again changes nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { buildIndexMessage, readVolume } from '../../src/adapters/transports/media/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { systemTar } from '../adapters/transports/media/_media-fixtures.js';
import { cli } from '../helpers/cli.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const env = { ...process.env, STB_SECRET: 'a-shared-secret-of-the-two-sites' };
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function until(done: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

describe('watch --media-out with media receive', () => {
  it('writes live volumes and the receiving catalog locates every member of every closed volume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fits-media-follow-'));
    const [incoming, archive, disk1, disk2, vault] = ['in', 'archive', 'disk1', 'disk2', 'vault'].map((d) => join(dir, d));
    for (const d of [incoming, disk1, disk2, vault]) mkdirSync(d!);
    const remotePath = join(vault!, 'catalog.sqlite');
    const receiver = start(['media', 'receive', '--catalog', `sqlite:${remotePath}`, '--port', '0', '--json', '--secret-env', 'STB_SECRET', '--volume-root', '/vault/media']);
    await until(() => receiver.out().includes('listening'), `media receive listening: ${receiver.err()}`);
    const { port } = JSON.parse(receiver.out().split('\n')[0]!) as { port: number };
    const watcher = start([
      'watch', incoming!, '--archive', archive!, '--media-out', disk1!, disk2!, '--media-volume-size', '40K',
      '--media-send', `http://127.0.0.1:${port}/media/index`, '--media-secret-env', 'STB_SECRET',
    ]);
    await until(() => watcher.err().includes('watching'), `watch started: ${watcher.err()}`);
    for (let n = 1; n <= 6; n++) {
      const options = { time: new Date(Date.UTC(2026, 10, 24, 3, 0, 0) + n * 61_000), frameNumber: n, axes: [64, 64] as [number, number] };
      writeFileSync(join(incoming!, frameName(options)), makeFrame(options));
    }
    const remote = createSqliteCatalog({ path: remotePath });
    await remote.init();
    const closed = () => readdirSync(disk1!).filter((n) => n.endsWith('.c1.tar'));
    // Six frames of ~14 KB on 40 KB volumes: at least two volumes close on size while the watcher runs.
    await until(async () => closed().length >= 2 && (await remote.findArchived({})).length >= closed().length * 2, `volumes closed and received`).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${watcher.err()} | stdout: ${watcher.out()} | disk1: ${readdirSync(disk1!).join(' ')} | remote: ${(await remote.findArchived({})).length} | receiver: ${receiver.out()} ${receiver.err()}`);
    });
    watcher.child.kill('SIGTERM');
    expect(await watcher.exit).toBe(0);

    const local = createSqliteCatalog({ path: join(archive!, 'catalog.sqlite') });
    await local.init();
    const volumes = [...closed().map((n) => join(disk1!, n)), ...readdirSync(disk2!).filter((n) => n.endsWith('.tar')).map((n) => join(disk2!, n))];
    let members = 0;
    for (const path of volumes) {
      const { index } = await readVolume(path);
      const listed = systemTar('tar', ['-tf', path]).trim().split('\n');
      expect(listed).toEqual([`${index.label}.label.json`, ...index.members.map((m) => m.name), `${index.label}.index.json`]);
      for (const m of index.members) {
        members++;
        const there = await remote.getArchived(m.archiveId!);
        expect(there?.sha256).toBe((await local.getArchived(m.archiveId!))?.sha256);
        expect(there!.locations).toContainEqual(expect.objectContaining({ uri: `/vault/media/${path.split('/').pop()}#${m.name}`, medium: { volume: index.label, copy: index.copy, member: m.member, offset: m.offset, serial: m.serial } }));
      }
    }
    expect(members).toBeGreaterThanOrEqual(4);
    receiver.child.kill('SIGTERM');
    expect(await receiver.exit).toBe(0);

    // A message kept as a file (e.g. received by mail), applied to another catalog, then again.
    const { index } = await readVolume(volumes[0]!);
    const file = join(dir, 'message.json');
    writeFileSync(file, JSON.stringify(await buildIndexMessage(index, [volumes[0]!], local)));
    const other = `sqlite:${join(dir, 'other.sqlite')}`;
    const first = await cli('media', 'apply', file, '--catalog', other, '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.lines[0]!)).toMatchObject({ restored: index.members.map((m) => m.archiveId), skipped: [] });
    const again = await cli('media', 'apply', file, '--catalog', other, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.lines[0]!)).toMatchObject({ restored: [], located: index.members.length * index.copies });
    await local.close();
    await remote.close();
  }, 120_000);
});
