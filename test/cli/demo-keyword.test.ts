/** `fits-ingest demo --trigger keyword`: the simulated instrument announces each frame over ZeroMQ; every file ends as planned. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeNightAttachments, planNight } from '../../src/simulator/index.js';
import { cli } from '../helpers/cli.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('fits-ingest demo --trigger keyword', () => {
  it('archives the night keyword-triggered: every file ends as expected, exit 0', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fits-ingest-demo-kw-'));
    const { code, lines, stderr } = await cli('demo', '--trigger', 'keyword', '--files', '15', '--duration', '3', '--dir', dir, '--json', '--no-reprocess');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = events.find((e) => e.event === 'summary')!;
    // 15 frames announced over ZeroMQ, then the night's 3 attachments (submitted: the monitor announces frames only).
    expect(summary).toMatchObject({ files: 18, trigger: 'keyword', surprises: [] });
    const plan = planNight({ files: 15 });
    const attachments = makeNightAttachments({ frames: 15 });
    const expected: Record<string, number> = {};
    for (const file of plan) expected[file.expect] = (expected[file.expect] ?? 0) + 1;
    expect(summary.counts).toEqual({ ...expected, ARCHIVED: expected.ARCHIVED! + attachments.length });
    const finished = events.filter((e) => e.event !== 'summary').map((e) => e.file).sort();
    expect(finished).toEqual([...plan.map((f) => f.name), ...attachments.map((a) => a.fitsName)].sort());
    const fitsIn = async (instrument: string) =>
      (await readdir(join(dir!, 'archive', instrument), { recursive: true })).filter((name) => String(name).endsWith('.fits'));
    expect(await fitsIn('KCWI')).toHaveLength(expected.ARCHIVED!);
    expect(await fitsIn('ATTACHMENT')).toHaveLength(attachments.length);
  }, 60_000);

  it('refuses an unknown trigger with a usage error', async () => {
    const { code, stderr } = await cli('demo', '--trigger', 'carrier-pigeon', '--files', '1');
    expect(code).toBe(2);
    expect(stderr).toContain('--trigger must be filesystem or keyword');
  });
});
