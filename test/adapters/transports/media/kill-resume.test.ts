/** A writer killed (SIGKILL) in the middle of a volume, then a second run: the sequence resumes unbroken. */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../../src/adapters/catalogs/sqlite.js';
import { verifyVolumes } from '../../../../src/adapters/transports/media/index.js';
import { frameName, makeFrame } from '../../../../src/simulator/frames.js';
import { cli } from '../../../helpers/cli.js';
import { workspace } from './_media-fixtures.js';

const WORKER = join(import.meta.dirname, '_kill-worker.ts');
const T = Date.UTC(2026, 10, 21, 6, 0, 0);

function runUntilPaused(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('paused')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`worker exited ${code} before pausing`))));
  });
}

describe('media write killed mid-volume', () => {
  it('leaves complete volumes recorded and a partial one marked; the next run re-writes it and continues the sequence', async () => {
    const { dir, src, out } = workspace();
    for (let n = 1; n <= 10; n++) {
      const options = { time: new Date(T + n * 61_000), frameNumber: n, axes: [64, 64] as [number, number] };
      writeFileSync(join(src, frameName(options)), makeFrame(options));
    }
    const archive = join(dir, 'archive');
    expect((await cli('ingest', src, '--archive', archive)).code).toBe(0);
    const catalogPath = join(archive, 'catalog.sqlite');

    // Small frames, 40 KB volumes: a few per volume. Killed after 5 items, in the middle of a volume.
    await runUntilPaused([catalogPath, out, '5']);
    const names = readdirSync(out).sort();
    const partials = names.filter((n) => n.endsWith('.tar.partial'));
    const complete = names.filter((n) => n.endsWith('.tar'));
    expect(partials).toHaveLength(2);
    expect(complete.length).toBeGreaterThanOrEqual(2);
    const partialLabel = partials[0]!.slice(0, 8);
    expect(partials).toEqual([`${partialLabel}.c1.tar.partial`, `${partialLabel}.c2.tar.partial`]);
    expect(Number(partialLabel.slice(2))).toBe(complete.length / 2 + 1);
    // The partial volume holds tar members so far, but no index and no end blocks: GNU tar says it is unfinished.
    const listing = spawnSync('tar', ['-tvf', join(out, partials[0]!)], { encoding: 'utf8' });
    expect(listing.stdout).toContain(`${partialLabel}.label.json`);
    expect(listing.stdout).not.toContain(`${partialLabel}.index.json`);
    const catalog = createSqliteCatalog({ path: catalogPath });
    await catalog.init();
    const onMedia = async () => (await catalog.findArchived({})).flatMap((f) => f.locations.filter((l) => l.medium).map((l) => l.medium!));
    const firstRun = (await onMedia()).filter((m) => m.copy === 1).map((m) => m.serial).sort((a, b) => a - b);
    const k = firstRun.length;
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(5);
    expect(firstRun).toEqual(Array.from({ length: k }, (_, i) => i + 1));
    expect((await onMedia()).every((m) => m.volume < partialLabel)).toBe(true);

    const second = spawnSync(process.execPath, ['--import', 'tsx', WORKER, catalogPath, out], { encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout) as { serials: number[]; discarded: string[]; failed: number };
    expect(report.serials).toEqual(Array.from({ length: 10 - k }, (_, i) => k + 1 + i));
    expect(report.discarded.sort()).toEqual(partials.map((n) => join(out, n)));
    expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toEqual([]);

    const all = await onMedia();
    const serials = all.filter((m) => m.copy === 1).map((m) => m.serial).sort((a, b) => a - b);
    expect(serials).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all.filter((m) => m.copy === 2)).toHaveLength(10);
    const verdict = await verifyVolumes(readdirSync(out).map((n) => join(out, n)), { catalog });
    expect(verdict.failures).toEqual([]);
    expect(verdict.gaps).toEqual([]);
    expect(verdict.repeats).toEqual([]);
    expect(verdict.checked).toBe(20);
    await catalog.close();
  }, 60_000);
});
