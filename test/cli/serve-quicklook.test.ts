/**
 * `fits-ingest serve --quicklook RULES`: frames pushed over HTTP get their quick-look on arrival, `GET /v1/quicklook`
 * and the operator monitor's data read the latencies, and `POST /v1/nights/{night}/close` closes the night from
 * the command-line server.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { frameName, makeFrame, type FrameKind } from '../../src/simulator/frames.js';
import { TOKENS } from '../adapters/http/_harness.js';
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

    const tokens = join(dir, 'tokens.yaml');
    writeFileSync(tokens, `tokens:\n  - site: ops\n    token: ${TOKENS.admin}\n    scopes: [push, read, admin]\n`);
    served = await startServe(['--archive', join(dir, 'archive'), '--port', '0', '--tokens', tokens, '--quicklook', RULES]);
    const auth = { authorization: `Bearer ${TOKENS.admin}` };
    expect(served.stderr.join('')).toContain('quick-look on arrival');
    const pushed = await cli('push', incoming, '--to', served.url, '--token', TOKENS.admin, '--json');
    expect(pushed.code, pushed.stderr).toBe(0);

    type Readout = { states: Record<string, number>; quicklook?: { p99: number; count: number }; nights: { night: string; state: string }[] };
    const readout = async (): Promise<Readout> => (await (await fetch(`${served!.url}/v1/quicklook`, { headers: auth })).json()) as Readout;
    const done = await until(async () => {
      const r = await readout();
      return r.states['DONE'] === 2 && r;
    }, 180_000, 'both science frames to get their quick-look');
    expect(done.quicklook?.count).toBe(2);
    expect(done.quicklook!.p99).toBeGreaterThan(0);
    // The operator monitor's data carries the same readout.
    const login = await fetch(`${served.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKENS.admin }).toString() });
    const cookie = login.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toBeDefined();
    const ops = await fetch(`${served.url}/ui/api/operations`, { headers: { cookie: cookie! } });
    expect(ops.status, await ops.clone().text()).toBe(200);
    const shown = ((await ops.json()) as { quicklook: Readout | null }).quicklook;
    expect(shown?.states['DONE']).toBe(2);
    expect(shown?.quicklook?.count).toBe(2);
    // And the monitor page shows it (screenshot kept: test-artifacts/monitor-quicklook.png).
    const CHROMIUM = '/usr/bin/chromium';
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/setup-test.sh)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 1600 } })).newPage();
      await page.goto(`${served.url}/ui/login`);
      await page.fill('#token', TOKENS.admin);
      await Promise.all([page.waitForURL(/\/ui\/monitor$/), page.click('button[type=submit]')]);
      await page.waitForSelector('#quicklook-card:not([hidden]) tr[data-latency="quicklook"]');
      const row = await page.locator('tr[data-latency="quicklook"] td').allTextContents();
      expect(row[0]).toBe('quick-look ARCHIVED');
      expect(row[4]).toBe('2');
      expect(await page.locator('#quicklook-state').textContent()).toMatch(/^2 done, 0 queued, 0 waiting for masters, 0 failed; 0 late/);
      await page.screenshot({ path: join(resolve('test-artifacts'), 'monitor-quicklook.png'), fullPage: true });
    } finally {
      await browser.close();
    }

    const close = await fetch(`${served.url}/v1/nights/${NIGHT}/close?instrument=KCWI`, { method: 'POST', headers: auth });
    expect([200, 202]).toContain(close.status);
    const closed = await until(async () => {
      const r = await fetch(`${served!.url}/v1/nights/${NIGHT}/close?instrument=KCWI`, { headers: auth });
      const body = (await r.json()) as { state: string };
      return body.state === 'CLOSED' && body;
    }, 180_000, 'the night to close');
    expect(closed.state).toBe('CLOSED');
    expect((await readout()).nights).toEqual([expect.objectContaining({ night: NIGHT, state: 'CLOSED' })]);
  });
});
