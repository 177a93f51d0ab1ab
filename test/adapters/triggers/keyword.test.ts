/**
 * The keyword monitor over real ZeroMQ sockets on 127.0.0.1: first broadcast, duplicates, publisher restarts,
 * files announced before they exist, data roots, heartbeats, composed paths, and a sustained announcement rate.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEYWORD_TRIGGER } from '../../../src/adapters/triggers/keyword.js';
import { KEY, startRig, type Rig } from './_keyword-rig.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = (condition: () => boolean, timeout = 5000) => vi.waitFor(() => expect(condition()).toBe(true), { timeout, interval: 10 });

let rig: Rig | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('keyword trigger over ZeroMQ', () => {
  it('announces a file as complete, with instrument, size, mtime and the announcing key', async () => {
    rig = await startRig();
    expect(rig.trigger.name).toBe(KEYWORD_TRIGGER);
    expect(rig.trigger.capabilities).toEqual({ continuous: true, announcesComplete: true });
    const path = await rig.file('kb0001.fits', 5760);
    await rig.publish(path);
    await until(() => rig!.paths().includes(path));
    expect(rig.sink.items[0]).toMatchObject({ path, trigger: 'keyword', instrument: 'KCWI', complete: true, size: 5760, metadata: { keyword: KEY } });
    expect(typeof rig.sink.items[0]!.mtimeMs).toBe('number');
  });

  /** A data root holding one file written before the trigger starts. */
  async function rootWithOldFile(): Promise<{ dir: string; path: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'fits-ingest-kw-old-'));
    const path = join(dir, 'old.fits');
    await writeFile(path, randomBytes(2880));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return { dir, path };
  }

  it('skips the value current when it starts (KOA: the first broadcast is old), then announces new files', async () => {
    const old = await rootWithOldFile();
    rig = await startRig({ roots: [old.dir] }, { values: [{ key: KEY, value: old.path, time: 1 }] });
    await sleep(300); // the prime has arrived by now
    const path = join(old.dir, 'kb0002.fits');
    await writeFile(path, randomBytes(2880));
    await rig.publish(old.path); // a repeat of the skipped value is still old
    await rig.publish(path);
    await until(() => rig!.paths().includes(path));
    await sleep(200);
    expect(rig.paths()).toEqual([path]);
    expect(rig.sink.alerts).toEqual([]);
  });

  it('with skipFirstBroadcast: false, ingests the value current when it starts', async () => {
    const old = await rootWithOldFile();
    rig = await startRig({ skipFirstBroadcast: false, roots: [old.dir] }, { values: [{ key: KEY, value: old.path, time: 1 }] });
    await until(() => rig!.paths().includes(old.path));
  });

  it('ignores repeated broadcasts of an unchanged file; a rewritten file is announced again', async () => {
    rig = await startRig();
    const path = await rig.file('kb0004.fits');
    for (let i = 0; i < 3; i++) await rig.publish(path);
    await until(() => rig!.paths().length === 1);
    await sleep(300);
    expect(rig.paths()).toEqual([path]);
    await rig.file('kb0004.fits', 5760);
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    await rig.publish(path);
    await until(() => rig!.paths().length === 2);
    expect(rig.sink.items.map((item) => item.size)).toEqual([2880, 5760]);
  });

  it('survives a publisher restart: alerts, reconnects, does not re-announce the unchanged value', async () => {
    rig = await startRig();
    const before = await rig.file('kb0005.fits');
    await rig.publish(before);
    await until(() => rig!.paths().includes(before));
    await rig.restart({ values: rig.publisher.values() });
    expect(rig.alerts('KEYWORD_SOURCE_UNAVAILABLE')).toHaveLength(1);
    await rig.publish(before); // a restarted service broadcasts its values again
    const after = await rig.file('kb0006.fits');
    await rig.publish(after);
    await until(() => rig!.paths().includes(after));
    await sleep(200);
    expect(rig.paths()).toEqual([before, after]);
    expect(rig.alerts('KEYWORD_GAP')).toEqual([]);
  });

  it('after a restart, ingests a file announced while it was disconnected and alerts KEYWORD_GAP', async () => {
    rig = await startRig();
    const first = await rig.file('kb0007.fits');
    await rig.publish(first);
    await until(() => rig!.paths().includes(first));
    const during = await rig.file('kb0008.fits');
    await rig.restart({ values: [{ key: KEY, value: during, time: Date.now() }] });
    await until(() => rig!.paths().includes(during));
    expect(rig.alerts('KEYWORD_GAP')).toHaveLength(1);
    expect(rig.sink.alerts.find((a) => a.code === 'KEYWORD_GAP')!.path).toBe(during);
  });

  it('waits for a file announced before it is visible; alerts and still submits one that never appears', async () => {
    rig = await startRig({ missingFile: { retries: 5, delayMs: 100 } });
    const late = join(rig.dir, 'kb0009.fits');
    await rig.publish(late);
    await sleep(250);
    await rig.file('kb0009.fits');
    await until(() => rig!.paths().includes(late));
    expect(rig.sink.items[0]!.size).toBe(2880);
    expect(rig.alerts('KEYWORD_FILE_MISSING')).toEqual([]);

    const never = join(rig.dir, 'kb0010.fits');
    const announced = Date.now();
    await rig.publish(never);
    await until(() => rig!.paths().includes(never));
    expect(Date.now() - announced).toBeGreaterThanOrEqual(450);
    expect(rig.sink.items[1]).toMatchObject({ path: never, complete: true });
    expect(rig.sink.items[1]!.size).toBeUndefined();
    expect(rig.alerts('KEYWORD_FILE_MISSING')).toHaveLength(1);
    await rig.publish(never);
    await sleep(700);
    expect(rig.paths().filter((p) => p === never)).toHaveLength(1);
  });

  it('rejects paths outside the data roots with an alert, never a submit or a crash', async () => {
    rig = await startRig();
    const outside = join(rig.dir, '..', `outside-${Date.now()}.fits`);
    await rig.file(outside);
    await mkdir(join(rig.dir, 'sub'));
    await symlink(outside, join(rig.dir, 'link.fits'));
    const refused = ['/etc/hostname', join(rig.dir, '..', 'x.fits'), 'relative/kb.fits', join(rig.dir, 'link.fits'), join(rig.dir, 'sub')];
    for (const path of refused) await rig.publish(path);
    const good = await rig.file('kb0011.fits');
    await rig.publish(good);
    await until(() => rig!.paths().includes(good) && rig!.alerts('KEYWORD_PATH_REJECTED').length === refused.length);
    expect(rig.paths()).toEqual([good]);
    expect(rig.sink.alerts.filter((a) => a.code === 'KEYWORD_PATH_REJECTED').map((a) => a.path)).toEqual(refused);
    await rig.publish('/etc/hostname'); // the same refusal is alerted once
    await sleep(200);
    expect(rig.alerts('KEYWORD_PATH_REJECTED')).toHaveLength(refused.length);
    cleanups.push(() => rm(outside, { force: true }));
  });

  it('raises one KEYWORD_HEARTBEAT_STALE per silence of the heartbeat key', async () => {
    rig = await startRig({ heartbeat: { key: 'kbds.ITERATION', staleAfterMs: 300 } });
    let beating = true;
    let n = 0;
    const beat = (async () => {
      while (beating) {
        await rig!.publisher.publish('kbds.ITERATION', ++n).catch(() => {});
        await sleep(50);
      }
    })();
    await sleep(700);
    expect(rig.alerts('KEYWORD_HEARTBEAT_STALE')).toEqual([]);
    beating = false;
    await beat;
    await until(() => rig!.alerts('KEYWORD_HEARTBEAT_STALE').length === 1, 2000);
    await sleep(700);
    expect(rig.alerts('KEYWORD_HEARTBEAT_STALE')).toHaveLength(1);
    await rig.publisher.publish('kbds.ITERATION', ++n);
    await until(() => rig!.alerts('KEYWORD_HEARTBEAT_STALE').length === 2, 2000);
    expect(rig.alerts('KEYWORD_HEARTBEAT_STALE')[0]).toContain('kbds.ITERATION');
  });

  it('builds paths from directory, name and frame keys, and from a HIRES-style WDISK trigger', async () => {
    rig = await startRig({
      announce: [
        { directory: 'lris.OUTDIR', name: 'lris.OUTFILE', frame: { key: 'lris.FRAMENO', digits: 4, offset: -1 } },
        { directory: 'hiccd.OUTDIR', name: 'hiccd.OUTFILE', frame: { key: 'hiccd.LFRAMENO', digits: 4 }, when: { key: 'hiccd.WDISK', equals: false } },
      ],
    });
    const lris = await rig.file('r0041.fits');
    await rig.publish(rig.dir, 'lris.OUTDIR');
    await rig.publish('r', 'lris.OUTFILE');
    await rig.publish(42, 'lris.FRAMENO'); // the number of the next frame
    await until(() => rig!.paths().includes(lris));

    const hires = await rig.file('hi0007.fits');
    for (const [key, value] of [['hiccd.OUTDIR', rig.dir], ['hiccd.OUTFILE', 'hi'], ['hiccd.LFRAMENO', '7'], ['hiccd.WDISK', true]] as const) {
      await rig.publish(value, key);
    }
    await sleep(200);
    expect(rig.paths()).toEqual([lris]); // WDISK true: still writing
    await rig.publish('false', 'hiccd.WDISK');
    await until(() => rig!.paths().includes(hires));
    expect(rig.sink.items.at(-1)!.metadata).toMatchObject({ keyword: 'hiccd.WDISK' });
  });

  it('a composed path is primed whole: quiet at start, announced after a restart if it changed meanwhile', async () => {
    const old = await rootWithOldFile();
    const hires = { directory: 'hiccd.OUTDIR', name: 'hiccd.OUTFILE', frame: { key: 'hiccd.LFRAMENO', digits: 4 }, when: { key: 'hiccd.WDISK', equals: false } };
    const state = (frame: number) =>
      [['hiccd.OUTDIR', old.dir], ['hiccd.OUTFILE', 'hi'], ['hiccd.LFRAMENO', frame], ['hiccd.WDISK', false]].map(([key, value], i) => ({ key: key as string, value: value!, time: frame * 10 + i }));
    // At start the publisher has no OUTDIR yet: a primed state that cannot make a path is not an alert.
    const incomplete = state(1).filter((m) => m.key !== 'hiccd.OUTDIR').reverse();
    rig = await startRig({ announce: hires, roots: [old.dir] }, { values: incomplete });
    await sleep(300);
    expect(rig.paths()).toEqual([]);
    expect(rig.sink.alerts).toEqual([]);
    const during = join(old.dir, 'hi0002.fits');
    await writeFile(during, randomBytes(2880));
    await rig.restart({ values: state(2).reverse() });
    await until(() => rig!.paths().includes(during));
    await sleep(200);
    expect(rig.paths()).toEqual([during]);
    expect(rig.sink.alerts.map((a) => a.code).filter((code) => code !== 'KEYWORD_SOURCE_UNAVAILABLE')).toEqual(['KEYWORD_GAP']);
  });

  it('alerts KEYWORD_BAD_MESSAGE for a value that cannot be a path, and keeps going', async () => {
    rig = await startRig();
    await rig.publish(17);
    const path = await rig.file('kb0012.fits');
    await rig.publish(path);
    await until(() => rig!.paths().includes(path));
    expect(rig.alerts('KEYWORD_BAD_MESSAGE')).toHaveLength(1);
  });

  it('takes 1,000 announcements (each broadcast twice) at 12 times KOA-scale rate: every file once, in order', async () => {
    // 1,000 announcements per minute, compressed to ~5 s (one every 5 ms) with a duplicate broadcast of each.
    rig = await startRig({}, { maxConcurrentSubmits: 8, sinkDelayMs: 1 });
    const paths: string[] = [];
    for (let i = 0; i < 1000; i++) paths.push(await rig.file(`burst-${String(i).padStart(4, '0')}.fits`, 2880));
    await rig.publisher.waitForSubscriber(KEY);
    const started = Date.now();
    for (const [i, path] of paths.entries()) {
      await rig.publisher.publish(KEY, path);
      await rig.publisher.publish(KEY, path);
      const due = started + (i + 1) * 5;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    await until(() => rig!.sink.items.length >= 1000, 20_000);
    await sleep(200);
    expect(rig.paths()).toEqual(paths);
    expect(rig.sink.alerts).toEqual([]);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
