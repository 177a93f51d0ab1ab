/** The untended media transport in one process: end-of-night close, the crash window at start, message delivery. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../../src/adapters/catalogs/sqlite.js';
import { createMemoryCatalog } from '../../../../src/adapters/catalogs/memory.js';
import {
  applyIndexMessage,
  archivedItem,
  createIndexMessageHandler,
  createMediaTransport,
  httpIndexSender,
  writeVolumes,
  type IndexMessage,
} from '../../../../src/adapters/transports/media/index.js';
import { createManualClock } from '../../../../src/testing/manual-clock.js';
import { frameName, makeFrame } from '../../../../src/simulator/frames.js';
import { cli } from '../../../helpers/cli.js';
import { workspace } from './_media-fixtures.js';

const T = Date.UTC(2026, 10, 21, 6, 0, 0);
const SECRET = 'a-shared-secret-of-the-two-sites';

/** An archive of `n` small frames ingested by the CLI; its catalog opened. */
async function archiveOf(n: number) {
  const { dir, src, out } = workspace();
  for (let i = 1; i <= n; i++) {
    const options = { time: new Date(T + i * 61_000), frameNumber: i, axes: [32, 32] as [number, number] };
    writeFileSync(join(src, frameName(options)), makeFrame(options));
  }
  const archive = join(dir, 'archive');
  expect((await cli('ingest', src, '--archive', archive)).code).toBe(0);
  const catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite') });
  await catalog.init();
  return { dir, out, archive, catalog };
}

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(done(), what).toBe(true);
}

describe('createMediaTransport', () => {
  it('refuses options it cannot honour', () => {
    const catalog = createMemoryCatalog();
    expect(() => createMediaTransport({ catalog, out: ['/a', '/b', '/c'], copies: 2, volumeSize: '1G' })).toThrow(/3 directories for 2 copies/);
    expect(() => createMediaTransport({ catalog, out: '/a', volumeSize: '1G', closeAt: '25:00' })).toThrow(/HH:MM/);
  });

  it('closes the open volume at the end of the night (closeAt, on its clock) and records every copy', async () => {
    const { out, catalog } = await archiveOf(3);
    const clock = createManualClock({ now: Date.UTC(2026, 10, 21, 16, 59, 0) });
    let closed = 0;
    const media = createMediaTransport({ catalog, out, copies: 2, volumeSize: '10M', closeAt: '17:00', clock, onVolume: () => closed++ });
    expect((await media.start()).queued).toBe(3);
    await media.idle();
    expect(media.status().current?.members).toBe(3);
    expect(readdirSync(out).filter((n) => n.endsWith('.tar'))).toEqual([]);
    await clock.advance(60_000);
    expect(closed).toBe(0);
    await until(() => closed === 1, 'the volume closed at 17:00');
    expect(media.status().current).toBeUndefined();
    expect(readdirSync(out).sort()).toEqual(['FI000001.c1.tar', 'FI000001.c2.tar']);
    for (const file of await catalog.findArchived({})) expect(file.locations.filter((l) => l.medium).map((l) => l.medium!.copy).sort()).toEqual([1, 2]);
    // The next night's close is asked for again.
    expect(clock.pending()).toContain(Date.UTC(2026, 10, 22, 17, 0, 0));
    await media.stop();
    await catalog.close();
  });

  it('at start, records the last volume a crash left unrecorded and does not write its files again', async () => {
    const { out, catalog } = await archiveOf(3);
    // A volume completed (renamed) by a run that died before recording its locations.
    const files = await catalog.findArchived({});
    await writeVolumes(files.map((f) => archivedItem(f)!), { out, volumeSize: '10M', copies: 2 });
    expect((await catalog.findArchived({})).some((f) => f.locations.some((l) => l.medium))).toBe(false);
    const media = createMediaTransport({ catalog, out, copies: 2, volumeSize: '10M' });
    const started = await media.start();
    expect(started.recorded).toBe(6);
    expect(started.queued).toBe(0);
    await media.idle();
    expect(await media.closeVolume()).toBeUndefined();
    expect(readdirSync(out).sort()).toEqual(['FI000001.c1.tar', 'FI000001.c2.tar']);
    await media.stop();
    await catalog.close();
  });

  it('keeps an index message the remote refused and delivers it again later; applying it twice changes nothing', async () => {
    const { dir, out, catalog } = await archiveOf(2);
    const remoteDir = join(dir, 'remote');
    mkdirSync(remoteDir);
    const remote = createSqliteCatalog({ path: join(remoteDir, 'catalog.sqlite') });
    await remote.init();
    let secret = 'the-wrong-secret-of-sixteen+';
    const handler = createIndexMessageHandler({ catalog: remote, secret: SECRET });
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const sent: IndexMessage[] = [];
    const refusals: string[] = [];
    const media = createMediaTransport({
      catalog,
      out,
      copies: 1,
      volumeSize: '10M',
      retryMs: 30,
      stateDir: dir,
      send: async (message) => {
        try {
          await httpIndexSender({ url, secret })(message);
          sent.push(message);
        } catch (error) {
          refusals.push((error as Error).message);
          throw error;
        }
      },
    });
    await media.start();
    await media.idle();
    await media.closeVolume();
    await until(() => refusals.length > 0, 'the remote refused the wrongly signed message');
    expect(refusals[0]).toContain('401');
    expect(media.status().undelivered).toBe(1);
    expect(await remote.findArchived({})).toEqual([]);
    secret = SECRET;
    await until(() => sent.length === 1 && media.status().undelivered === 0, 'delivered on a later attempt');
    const there = await remote.findArchived({});
    expect(there).toHaveLength(2);
    const again = await applyIndexMessage(remote, sent[0]!);
    expect(again.restored).toEqual([]);
    expect(again.located).toBe(2);
    expect((await remote.findArchived({})).map((f) => f.locations.length)).toEqual([1, 1]);
    await media.stop();
    await new Promise((r) => server.close(r));
    await remote.close();
    await catalog.close();
  });
  it('delivers the message of a volume closed while an earlier message was being sent, without waiting for a retry', async () => {
    const { dir, out, catalog } = await archiveOf(2);
    const [file] = await catalog.findArchived({});
    const sent: string[] = [];
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const media = createMediaTransport({
      catalog,
      out,
      copies: 1,
      // One frame per volume: the second does not fit beside the first.
      volumeSize: Math.floor(file!.size * 1.5) + 8192,
      retryMs: 3_600_000, // a retry would come far too late for this test
      stateDir: dir,
      send: async (message) => {
        if (sent.length === 0) await gate; // the first message is still on its way when the next volume closes
        sent.push(message.label);
      },
    });
    await media.start();
    await media.idle();
    await media.closeVolume();
    expect(readdirSync(out).filter((n) => n.endsWith('.tar'))).toHaveLength(2);
    release();
    await until(() => sent.length === 2, 'both volumes delivered');
    expect(sent).toEqual(['FI000001', 'FI000002']);
    expect(media.status().undelivered).toBe(0);
    await media.stop();
    await catalog.close();
  });
});
