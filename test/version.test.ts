/**
 * The version written into archived headers (DQA_VERS), the CLI's --version and the HTTP health answer is
 * package.json's: compiled into dist/ by tsup and given to the sources by vitest, never typed by hand.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/core/version.js';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('VERSION', () => {
  it('is package.json version when the tests run the sources', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(VERSION).toBe(version);
  });

  it('is package.json version in the built CLI (run npm run build first)', () => {
    expect(execFileSync(process.execPath, ['dist/cli/main.js', '--version'], { encoding: 'utf8' }).trim()).toBe(version);
  });

  it('is package.json version in the DQA_VERS card the built library writes into an archived header', async () => {
    const lib = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');
    const header = lib.createHeader({ primary: true, bitpix: 16, axes: [2, 2], cards: [['INSTRUME', 'KCWI'], ['CAMERA', 'BLUE'], ['DATE-OBS', '2026-11-20'], ['UT', '08:30:15.05']] });
    const normalized = lib.normalizeHeader(header, lib.builtinInstrument('kcwi'), { originalName: 'kb261120_00001.fits', mtimeMs: 0, now: Date.UTC(2026, 10, 20) });
    expect(normalized.header.getString('DQA_VERS')).toBe(`fits-ingest ${version}`);
  });
});
