/**
 * docs/your-own-observatory.md, executed: every `sh` block runs in order (with `fits-ingest` the built CLI) in a
 * fresh directory holding a copy of examples/, every `js` block is saved as the file the next command runs, and
 * every line of an `output` block must appear in the output of the commands before it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const BIN = join(ROOT, 'dist/cli/main.js');
const doc = readFileSync(join(ROOT, 'docs/your-own-observatory.md'), 'utf8');
const blocks = [...doc.matchAll(/```(sh|js|output)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
const dir = mkdtempSync(join(tmpdir(), 'fits-guide-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/your-own-observatory.md', () => {
  it('runs every command of the guide in order, with the output it shows', () => {
    if (!existsSync(BIN)) throw new Error('dist/ is missing: npm test builds it first');
    cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'fits-ingest'), `#!/bin/sh\nexec ${process.execPath} ${BIN} "$@"\n`);
    chmodSync(join(dir, 'bin', 'fits-ingest'), 0o755);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'fits-ingest'));
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThanOrEqual(6);
    let output = '';
    let commands = 0;
    for (const block of blocks) {
      if (block.lang === 'js') {
        writeFileSync(join(dir, 'embed.mjs'), block.text);
      } else if (block.lang === 'sh') {
        for (const line of block.text.split('\n').filter((l) => l.trim() !== '')) {
          const run = spawnSync('sh', ['-c', line], {
            cwd: dir,
            encoding: 'utf8',
            env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env['PATH']}` },
            timeout: 120_000,
          });
          expect(run.status, `${line}\n${run.stdout}${run.stderr}`).toBe(0);
          output += run.stdout + run.stderr;
          commands++;
        }
      } else {
        for (const expected of block.text.split('\n').filter((l) => l.trim() !== '')) {
          expect(output, `expected output line: ${expected}`).toContain(expected.trim());
        }
        output = '';
      }
    }
    expect(commands).toBeGreaterThanOrEqual(10);
  }, 300_000);

  it('shows the unknown-instrument error it promises', () => {
    const run = spawnSync(process.execPath, [BIN, 'catalog', 'query', '--catalog', 'sqlite:archive/catalog.sqlite', '--instrument', 'Nickel Direct'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('no such instrument or alias (known: ');
  });
});
