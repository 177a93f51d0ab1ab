/** docs/architecture.md stays true: every path it names exists, and every folder of src/ is in its layout. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const doc = readFileSync('docs/architecture.md', 'utf8');
const layout = /## Layout of `src\/`\n\n```\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? '';

/** Folders (and `_*.ts`/top-level files) the layout block lists under `parent`, by its indentation. */
function listed(parent: string): Set<string> {
  const names = new Set<string>();
  let inside = parent === 'src/';
  for (const line of layout.split('\n')) {
    const top = /^(src\/\S*)/.exec(line)?.[1];
    if (top) inside = top === parent;
    const child = /^ {2}(\S+)/.exec(line)?.[1];
    if (inside && child) names.add(child.replace(/\/$/, ''));
    if (top?.startsWith(parent) && top !== parent) names.add(top.slice(parent.length).replace(/\/$/, ''));
  }
  return names;
}

describe('docs/architecture.md', () => {
  it('names only source paths that exist', () => {
    const paths = new Set<string>();
    for (const [, path] of doc.matchAll(/`((?:src\/|core\/|instruments\/)[\w./-]*[\w/])`/g)) paths.add(path!);
    for (const line of layout.split('\n')) {
      const top = /^(src\/\S+)/.exec(line)?.[1];
      if (top) paths.add(top);
    }
    expect(paths.size).toBeGreaterThan(20);
    for (const path of paths) {
      const full = path.startsWith('src/') ? path : join('src', path);
      expect(existsSync(full), `${path} in docs/architecture.md`).toBe(true);
    }
  });

  it('lists every folder of src/, src/core/ and src/adapters/ in its layout, and nothing that is not there', () => {
    for (const parent of ['src/core/', 'src/adapters/']) {
      for (const name of listed(parent)) expect(existsSync(join(parent, name)), `${parent}${name} in docs/architecture.md`).toBe(true);
    }
    const dirs = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const dir of dirs('src')) expect(listed('src/'), `src/${dir}`).toContain(dir);
    for (const dir of dirs('src/core')) expect(listed('src/core/'), `src/core/${dir}`).toContain(dir);
    for (const dir of dirs('src/adapters')) expect(listed('src/adapters/'), `src/adapters/${dir}`).toContain(dir);
  });
});
