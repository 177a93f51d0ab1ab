/**
 * `fits-ingest serve --quicklook RULES`: frames pushed over HTTP get their quick-look on arrival, `GET /v1/quicklook`
 * reads the latencies, and `POST /v1/nights/{night}/close` closes the night from the command-line server.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameName, makeFrame, type FrameKind } from '../../src/simulator/frames.js';
import { startServe, type ServeChild } from '../adapters/http/_serve-child.js';
import { cli } from '../helpers/cli.js';
import { NIGHT, RULES, T0, until } from '../processing/_night.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-serve-ql-'));
let served: ServeChild | undefined;
afterAll(async () => {
  served?.process.kill('SIGTERM');
  await served?.exit;
  rmSync(dir, { recursive: true, force: true });
});

describe('serve --quicklook', { timeout: 240_000 }, () => {
  it('runs quick-look on pushed frames, reports latencies over HTTP and closes the night on an HTTP call', async () => {
    const incoming = join(dir, 'night');
    mkdirSync(incoming);
    let n = 0;
    const write = (kind: FrameKind, minutes: number): void => {
      n++;
      const options = { time: new Date(T0 + minutes * 60_000), frameNumber: n, axes: [48, 40] as [number, number], kind, program: kind === 'object' ? 'K123' : 'CAL' };
      writeFileSync(join(incoming, frameName(options)), makeFrame(options));
    };
    for (const m of [0, 1, 2]) write('bias', m);
    for (const m of [5, 6]) write('flatlamp', m);
    write('object', 30);
    write('object', 60);

    served = await startServe(['--archive', join(dir, 'archive'), '--port', '0', '--no-auth', '--no-pages', '--quicklook', RULES]);
    expect(served.stderr.join('')).toContain('quick-look on arrival');
    const pushed = await cli('push', incoming, '--to', served.url, '--json');
    expect(pushed.code, pushed.stderr).toBe(0);

    type Readout = { states: Record<string, number>; quicklook?: { p99: number; count: number }; nights: { night: string; state: string }[] };
    const readout = async (): Promise<Readout> => (await (await fetch(`${served!.url}/v1/quicklook`)).json()) as Readout;
    const done = await until(async () => {
      const r = await readout();
      return r.states['DONE'] === 2 && r;
    }, 180_000, 'both science frames to get their quick-look');
    expect(done.quicklook?.count).toBe(2);
    expect(done.quicklook!.p99).toBeGreaterThan(0);

    const close = await fetch(`${served.url}/v1/nights/${NIGHT}/close?instrument=KCWI`, { method: 'POST' });
    expect([200, 202]).toContain(close.status);
    const closed = await until(async () => {
      const r = await fetch(`${served!.url}/v1/nights/${NIGHT}/close?instrument=KCWI`);
      const body = (await r.json()) as { state: string };
      return body.state === 'CLOSED' && body;
    }, 180_000, 'the night to close');
    expect(closed.state).toBe('CLOSED');
    expect((await readout()).nights).toEqual([expect.objectContaining({ night: NIGHT, state: 'CLOSED' })]);
  });
});
