/** A package written to tar volumes by the media transport, read back with GNU tar. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributionManifest } from '../../src/distribute/index.js';
import { cli } from '../helpers/cli.js';
import { buildNight, type TestNight } from './_night.js';

let night: TestNight;
beforeAll(async () => {
  night = await buildNight('volumes');
}, 60_000);
afterAll(() => rmSync(night.dir, { recursive: true, force: true }));

describe('fits-ingest distribute --volumes', () => {
  it('puts every file on size-limited volumes in two copies, and the manifest says which volume and member holds it', async () => {
    const out = join(night.dir, 'pkg');
    const r = await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', out, '--format', 'split', '--volumes', '--volume-size', '96K', '--copies', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as DistributionManifest;
    expect(manifest.output).toBe('volumes');
    expect(manifest.volumes!.length).toBeGreaterThan(2);
    const tars = readdirSync(join(out, 'volumes')).sort();
    expect(tars).toEqual(manifest.volumes!.flatMap((v) => v.files).sort());
    for (const t of tars) expect(readFileSync(join(out, 'volumes', t)).length).toBeLessThanOrEqual(96 * 1024);
    // No data file stays in the folder; thumbnails, headers, manifest and index do.
    expect(existsSync(join(out, 'data'))).toBe(false);
    expect(existsSync(join(out, '.staging'))).toBe(false);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    // Every file is where the manifest says: extract each volume copy with GNU tar and compare digests.
    const extracted = join(night.dir, 'extracted');
    const listing = new Map<string, string[]>();
    for (const v of manifest.volumes!) {
      for (const [copy, file] of v.files.entries()) {
        const dir = join(extracted, `${v.label}.c${copy + 1}`);
        mkdirSync(dir, { recursive: true });
        execFileSync('tar', ['-xf', join(out, 'volumes', file), '-C', dir]);
        listing.set(`${v.label}.c${copy + 1}`, execFileSync('tar', ['-tf', join(out, 'volumes', file)], { encoding: 'utf8' }).trim().split('\n'));
      }
    }
    expect(manifest.files.length).toBeGreaterThan(20);
    for (const f of manifest.files) {
      expect(f.copies!.map((c) => c.copy)).toEqual([1, 2]);
      for (const c of f.copies!) {
        const bytes = readFileSync(join(extracted, `${c.volume}.c${c.copy}`, f.path));
        expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
        expect(listing.get(`${c.volume}.c${c.copy}`)![c.member - 1]).toBe(f.path);
      }
    }
    // The printable manifest has the same volume and member for each file.
    const text = readFileSync(join(out, 'MANIFEST.txt'), 'utf8');
    for (const f of manifest.files) expect(text).toMatch(new RegExp(`^${f.volume}\\s+${f.member}\\s+${f.size}\\s+${f.sha256}\\s+${f.path.replace(/\./g, '\\.')}$`, 'm'));
  }, 60_000);
});
