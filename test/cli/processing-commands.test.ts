import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { buildArchive, type TestArchive } from '../adapters/processors/_archive.js';

describe('fits-ingest calib, reprocess, requests', { timeout: 120_000 }, () => {
  let t: TestArchive;
  beforeAll(async () => {
    t = await buildArchive('cli');
    await t.close(); // the CLI opens the archive itself
  });
  afterAll(() => undefined);
  const base = (): string[] => ['--archive', t.archive];

  it('certifies, refuses an overlap, decertifies part of a range, and lists', async () => {
    const files = ['--file', `bias=${t.ids['bias1']}`, '--file', `bias=${t.ids['bias2']}`, '--file', `flat=${t.ids['flat1']}`];
    const ok = await cli('calib', 'certify', ...base(), '--instrument', 'KCWI', ...files, '--from', '2026-11-20T00:00:00', '--to', '2026-11-21');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('CERTIFIED  KCWI/imaging/v1  2026-11-20T00:00:00Z … 2026-11-21T00:00:00Z');
    const overlap = await cli('calib', 'certify', ...base(), '--instrument', 'KCWI', ...files, '--from', '2026-11-20T12:00:00');
    expect(overlap.code).toBe(2);
    expect(overlap.stderr).toMatch(/overlaps KCWI\/imaging\/v1 .*CALIBRATION_OVERLAP/);
    const cut = await cli('calib', 'decertify', ...base(), '--instrument', 'KCWI', '--from', '2026-11-20T10:00:00', '--to', '2026-11-20T11:00:00');
    expect(cut.stdout).toContain('DECERTIFIED  KCWI/imaging/v1  2026-11-20T10:00:00Z … 2026-11-20T11:00:00Z');
    const list = await cli('calib', 'list', ...base(), '--json');
    const { ranges } = JSON.parse(list.lines[0]!) as { ranges: { from: number; to: number }[] };
    expect(ranges.map((r) => [new Date(r.from).toISOString(), new Date(r.to).toISOString()])).toEqual([
      ['2026-11-20T00:00:00.000Z', '2026-11-20T10:00:00.000Z'],
      ['2026-11-20T11:00:00.000Z', '2026-11-21T00:00:00.000Z'],
    ]);
  });

  it('reprocess --program K123 --wait archives the products; queued requests can be listed, shown and cancelled', async () => {
    const run = await cli('reprocess', ...base(), '--program', 'K123', '--wait', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const results = run.lines.map((l) => JSON.parse(l) as { state: string; products: string[]; inputs: string[] });
    expect(results).toHaveLength(3);
    for (const r of results) expect(r).toMatchObject({ state: 'DONE', products: [`${r.inputs[0]}_reduced`] });
    const queued = await cli('reprocess', ...base(), '--archive-id', t.ids['other']!, '--priority', '4');
    expect(queued.stdout).toMatch(/QUEUED {5}(\S+) .* position 1/);
    const id = /QUEUED {5}(\S+)/.exec(queued.stdout)![1]!;
    const list = await cli('requests', 'list', ...base(), '--state', 'QUEUED', '--json');
    expect(list.lines.map((l) => JSON.parse(l).id)).toEqual([id]);
    const cancel = await cli('requests', 'cancel', id, ...base());
    expect(cancel.stdout).toContain(`CANCELLED  ${id}`);
    const show = await cli('requests', 'show', id, ...base());
    expect(show.stdout).toMatch(/QUEUED +→ CANCELLED CANCEL by operator:/);
    const missing = await cli('requests', 'show', 'nope', ...base());
    expect(missing.stderr).toContain('REQUEST_NOT_FOUND');
    const again = await cli('reprocess', ...base(), '--archive-id', t.ids['sci1']!, '--wait');
    expect(again.stdout).toContain('(from the cache)');
  });
});
