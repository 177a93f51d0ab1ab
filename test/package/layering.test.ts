/**
 * The layering the folders show (docs/architecture.md, "Layering rules"), checked by dependency-cruiser with
 * .dependency-cruiser.cjs: no import cycle, a pure core (only itself, zod and eventemitter3, no Node.js built-ins),
 * and `_` files used only inside their folder (adapters share internals through src/adapters/_shared/).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const depcruise = join(root, 'node_modules/.bin/depcruise');
const config = join(root, '.dependency-cruiser.cjs');

async function cruise(cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(depcruise, ['src', '--config', config, '--output-type', 'err'], { cwd, timeout: 120_000 });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'fits-ingest-layering-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, 'tree-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', allowJs: true } }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'layering-fixture', type: 'module' }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('layering (dependency-cruiser)', () => {
  it('src/ keeps every rule', async () => {
    const { code, out } = await cruise(root);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 150_000);

  it('the rules catch a cycle, an impure core and an internal reached from another folder', async () => {
    const dir = tree({
      'src/core/a.ts': "import { b } from './b.js';\nimport { readFileSync } from 'node:fs';\nimport { x } from '../adapters/http/x.js';\nexport const a = () => b + String(readFileSync) + x;\n",
      'src/core/b.ts': "import { a } from './a.js';\nexport const b = String(a);\n",
      'src/adapters/http/x.ts': "import { y } from '../catalogs/_y.js';\nexport const x = y;\n",
      'src/adapters/catalogs/_y.ts': 'export const y = 1;\n',
    });
    const { code, out } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toMatch(/no-circular: src\/core\/(a|b)\.ts/);
    expect(out).toMatch(/core-stays-pure: src\/core\/a\.ts → src\/adapters\/http\/x\.ts/);
    expect(out).toMatch(/core-third-party: src\/core\/a\.ts → (node:)?fs/);
    expect(out).toMatch(/internal-stays-in-its-folder: src\/adapters\/http\/x\.ts → src\/adapters\/catalogs\/_y\.ts/);
  }, 150_000);
});
