/**
 * The Python client's pytest suite (clients/python/tests) against a real `fits-ingest serve` from dist/, run with
 * the system Python (Debian python3-pytest, python3-numpy, python3-astropy). Missing pytest fails the test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

describe('Python client', () => {
  it('pytest clients/python/tests passes against a live server (the example DRP loop included)', () => {
    if (!existsSync('dist/cli/main.js')) throw new Error('the Python client tests run the built CLI: run npm run build first (npm test does)');
    const version = spawnSync(PYTHON, ['-m', 'pytest', '--version'], { encoding: 'utf8' });
    if (version.status !== 0) throw new Error(`${PYTHON} -m pytest is missing (apt-get install python3-pytest): ${version.stderr}`);
    const run = spawnSync(PYTHON, ['-m', 'pytest', 'clients/python/tests', '-q', '-p', 'no:cacheprovider'], { encoding: 'utf8', timeout: 280_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/\d+ passed/);
    expect(run.stdout).not.toMatch(/failed|error|skipped/);
  }, 300_000);
});
