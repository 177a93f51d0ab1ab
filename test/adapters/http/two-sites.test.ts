/** examples/two-sites runs with one command and every frame round-trips between the two processes. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('node examples/two-sites/run.mjs archives every frame at site B, confirms it to site A and calls back', async () => {
  if (!existsSync('dist/cli/main.js') || !existsSync('dist/transports/http.js')) {
    throw new Error('the example runs the built package: run npm run build first (npm test does)');
  }
  const { stdout } = await run(process.execPath, ['examples/two-sites/run.mjs', '--frames', '5'], { timeout: 90_000 });
  const rows = stdout.split('\n').filter((line) => /^kb261120_\d{5}\.fits/.test(line));
  expect(rows).toHaveLength(5);
  for (const row of rows) expect(row).toMatch(/KB\.20261120\.\d{5}\.05\s+ARCHIVED\s+ARCHIVED\s+\d+ ms\s+archived$/);
  expect(stdout).toContain('all 5 frames round-tripped');
}, 120_000);
