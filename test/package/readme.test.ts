/** The README's promises: two set-up commands at the top, the second being what CI runs; links that resolve. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('starts with the demo command and the test command, and CI runs the test command', () => {
    const block = /^# [^\n]+\n\n```sh\n([\s\S]*?)\n```/.exec(readme);
    expect(block, 'a ```sh block right after the title').not.toBeNull();
    const commands = block![1]!.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim());
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/npm ci && npm run demo/);
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci).toContain(commands[1]!);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['demo']).toMatch(/demo/);
    expect(pkg.scripts['test']).toBeDefined();
    expect(pkg.scripts['bench']).toBeDefined();
  });

  it('links only to documents that exist', () => {
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(4);
    for (const link of new Set(links)) expect(existsSync(link), link).toBe(true);
  });
});
