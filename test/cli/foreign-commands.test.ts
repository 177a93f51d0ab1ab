import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { unwrapForeign } from '../../src/core/fits/foreign-attachment.js';
import { cli } from '../helpers/cli.js';
import { fitsverify } from '../helpers/oracles.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'foreign-cli-'));
  writeFileSync(join(dir, 'weather.csv'), 'UT,temp\n05:00,2.1\n');
  writeFileSync(join(dir, 'notes.txt'), 'Dome closed 13:20 UT (humidity).\n');
  chmodSync(join(dir, 'notes.txt'), 0o600);
});

describe('fits-ingest foreign', () => {
  it('has help for both subcommands', async () => {
    const wrap = await cli('foreign', 'wrap', '--help');
    expect(wrap.code).toBe(0);
    expect(wrap.stdout).toContain('--kind');
    expect(wrap.stdout).toContain('weather');
    const unwrap = await cli('foreign', 'unwrap', '--help');
    expect(unwrap.code).toBe(0);
    expect(unwrap.stdout).toContain('--to <dir>');
  });

  it('wraps with kind, night and program, and unwraps to the same bytes and mode', async () => {
    const out = join(dir, 'wrapped');
    const wrap = await cli('foreign', 'wrap', join(dir, 'weather.csv'), join(dir, 'notes.txt'), '--out', out, '--kind', 'notes', '--night', '2026-11-20', '--program', 'K123', '--json');
    expect(wrap.code, wrap.stderr).toBe(0);
    const lines = wrap.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['ok'], l['name'], l['kind'], l['dateObs'], l['program']])).toEqual([
      [true, 'weather.csv', 'notes', '2026-11-20T00:00:00', 'K123'],
      [true, 'notes.txt', 'notes', '2026-11-20T00:00:00', 'K123'],
    ]);
    const fits = join(out, 'notes.txt.fits');
    expect(fitsverify(fits).errors).toBe(0);
    expect(unwrapForeign(readFileSync(fits)).attachment).toMatchObject({ program: 'K123', kind: 'notes' });

    const to = join(dir, 'restored');
    const unwrap = await cli('foreign', 'unwrap', join(out, 'weather.csv.fits'), fits, '--to', to);
    expect(unwrap.code, unwrap.stderr).toBe(0);
    expect(unwrap.stdout).toContain(`→ ${join(to, 'notes.txt')}`);
    expect(readFileSync(join(to, 'notes.txt'), 'utf8')).toBe('Dome closed 13:20 UT (humidity).\n');
    expect(statSync(join(to, 'notes.txt')).mode & 0o777).toBe(0o600);
    expect(readdirSync(to).sort()).toEqual(['notes.txt', 'weather.csv']);

    const again = await cli('foreign', 'unwrap', fits, '--to', to);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('DESTINATION_EXISTS');
    expect((await cli('foreign', 'unwrap', fits, '--to', to, '--force')).code).toBe(0);
  });

  it('carries on past bad files and reports them with exit 1 (bad bytes) or 2 (usage)', async () => {
    const out = join(dir, 'mixed');
    const wrap = await cli('foreign', 'wrap', join(dir, 'missing.txt'), join(dir, 'weather.csv'), '--out', out, '--kind', 'weather');
    expect(wrap.code).toBe(2);
    expect(wrap.stderr).toContain('missing.txt');
    expect(readdirSync(out)).toEqual(['weather.csv.fits']);
    writeFileSync(join(dir, 'plain.fits'), 'not a FITS file at all\n'.repeat(200));
    const unwrap = await cli('foreign', 'unwrap', join(dir, 'plain.fits'), join(out, 'weather.csv.fits'), '--to', join(dir, 'r2'), '--json');
    expect(unwrap.code).toBe(1);
    const lines = unwrap.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['ok'], l['error'] ?? null])).toEqual([[false, 'NOT_FITS'], [true, null]]);
    expect((await cli('foreign', 'wrap', join(dir, 'notes.txt'), '--out', out, '--kind', 'pdf')).code).toBe(2);
    expect((await cli('foreign', 'wrap', join(dir, 'notes.txt'), '--out', out, '--night', '2026-11-20', '--date-obs', '2026-11-20T01:00:00')).code).toBe(2);
  });
});
