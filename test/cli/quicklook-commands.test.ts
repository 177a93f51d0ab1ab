/**
 * A simulated night through `fits-ingest watch --quicklook` with the example pipeline, SIGKILLed mid-night and
 * restarted: every science frame gets exactly one quick-look (level 1) product linked to it, the frame written
 * before any calibration waits and is processed once the masters exist, and nothing is lost or doubled; then
 * `night close` archives one level-2 batch and `status` prints the latencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteProcessingStore } from '../../src/adapters/processing-stores/sqlite.js';
import type { RuleFrame } from '../../src/core/processing/quicklook.js';
import { frameName, makeFrame, type FrameKind } from '../../src/simulator/frames.js';
import { cli } from '../helpers/cli.js';
import { NIGHT, RULES, T0, until } from '../processing/_night.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('watch --quicklook through a SIGKILL, then night close and status', { timeout: 300_000 }, () => {
  it('one quick-look per science frame, the early frame waits, nothing lost or doubled; one level-2 batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fits-ql-cli-'));
    const incoming = join(dir, 'incoming');
    const archive = join(dir, 'archive');
    mkdirSync(incoming);
    let number = 0;
    let log = '';
    /** The catalog exists once watch has archived a file: only then may the test open its file (else it would create it). */
    let archived = false;
    const write = (kind: FrameKind, minutes: number): void => {
      number++;
      const options = { time: new Date(T0 + minutes * 60_000), frameNumber: number, axes: [48, 40] as [number, number], kind, program: kind === 'object' ? 'K123' : 'CAL' };
      const temp = join(dir, `frame-${number}.tmp`);
      writeFileSync(temp, makeFrame(options));
      renameSync(temp, join(incoming, frameName(options)));
    };
    const watch = (): ChildProcess => {
      const child = spawn(process.execPath, [BIN, 'watch', incoming, '--archive', archive, '--quicklook', RULES, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (archived ||= d.toString().includes('"ARCHIVED"')));
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      children.push(child);
      return child;
    };
    const store = createSqliteProcessingStore({ path: join(archive, 'catalog.sqlite') });
    const frames = async (): Promise<RuleFrame[]> => {
      if (!archived) return [];
      try {
        await store.init();
        return await store.findFrames();
      } catch {
        return []; // the catalog file is not created yet
      }
    };

    const first = watch();
    write('object', 30);
    const waiting = await until(async () => (await frames()).find((f) => f.state === 'WAITING'), 60_000, 'the early frame to wait').catch((e: Error) => {
      throw new Error(`${e.message}; watch said: ${log}`);
    });
    expect(waiting.waitingFor).toEqual(['bias', 'flatlamp']);
    for (const m of [0, 1, 2]) write('bias', m);
    for (const m of [5, 6]) write('flatlamp', m);
    write('object', 60);
    write('object', 90);
    await until(async () => (await frames()).some((f) => f.state === 'DONE'), 120_000, 'a first quick-look');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    write('object', 120);
    write('object', 150);

    const second = watch();
    const done = await until(async () => {
      const all = await frames();
      return all.length === 5 && all.every((f) => f.state === 'DONE') && all;
    }, 240_000, 'five quick-looks after the restart');
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    await store.close();

    const level1 = (await cli('catalog', 'query', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`, '--level', '1', '--json')).lines.map((l) => JSON.parse(l) as { archiveId: string; parents: string[] });
    expect(level1).toHaveLength(5);
    expect(level1.map((p) => p.parents[0]).sort()).toEqual(done.map((f) => f.archiveId).sort());
    expect(done.map((f) => f.product).sort()).toEqual(level1.map((p) => p.archiveId).sort());
    expect(done.find((f) => f.archiveId === waiting.archiveId)!.productArchivedAt).toBeGreaterThan(waiting.archivedAt);
    const requests = await cli('requests', 'list', '--archive', archive, '--requester', 'quicklook', '--json');
    expect(requests.lines).toHaveLength(5);

    const close = await cli('night', 'close', '--archive', archive, '--instrument', 'KCWI', '--night', NIGHT, '--rules', RULES, '--json');
    expect(close.code, close.stderr).toBe(0);
    expect(JSON.parse(close.lines[0]!)).toMatchObject({ state: 'CLOSED', requests: 5, failed: 0 });
    const level2 = (await cli('catalog', 'query', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`, '--level', '2', '--json')).lines.map((l) => JSON.parse(l) as { parents: string[] });
    expect(level2.map((p) => p.parents[0]).sort()).toEqual(done.map((f) => f.archiveId).sort());
    const again = await cli('night', 'close', '--archive', archive, '--instrument', 'KCWI', '--night', NIGHT, '--rules', RULES, '--json');
    expect(JSON.parse(again.lines[0]!)).toEqual(JSON.parse(close.lines[0]!));

    const status = await cli('status', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`);
    expect(status.stdout).toMatch(/quick-look: 5 done, 0 queued or running, 0 waiting for masters, 0 failed/);
    expect(status.stdout).toMatch(/file complete → quick-look ARCHIVED +p50 [\d.]+ s +p99 [\d.]+ s +max [\d.]+ s +\(5\)/);
    expect(status.stdout).toContain(`night ${NIGHT} KCWI  CLOSED  5 level-2 product(s), 0 failed`);
    const json = JSON.parse((await cli('status', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`, '--json')).lines[0]!);
    expect(json.quicklook.quicklook.count).toBe(5);
  });
});
