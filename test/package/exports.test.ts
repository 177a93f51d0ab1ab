/** The package as users see it: exports match the build entries, and the built ESM and CJS load. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>;
  engines: { node: string };
  bin: Record<string, string>;
  sideEffects: boolean;
};

const subpath = (entry: string): string => (entry === 'index' ? '.' : `./${entry.replace(/\/index$/, '')}`);

describe('package.json', () => {
  it('exports exactly the tsup entries, ESM and CJS with types', () => {
    const fromEntries = Object.keys(entries).map(subpath).sort();
    const fromExports = Object.keys(pkg.exports).filter((k) => k !== './package.json').sort();
    expect(fromExports).toEqual(fromEntries);
    for (const entry of Object.keys(entries)) {
      const target = pkg.exports[subpath(entry)] as { import: { types: string; default: string }; require: { types: string; default: string } };
      expect(target.import).toEqual({ types: `./dist/${entry}.d.ts`, default: `./dist/${entry}.js` });
      expect(target.require).toEqual({ types: `./dist/${entry}.d.cts`, default: `./dist/${entry}.cjs` });
    }
  });

  it('declares Node 20, the CLI and no side effects', () => {
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.bin['fits-ingest']).toBe('./dist/cli/main.js');
    expect(pkg.sideEffects).toBe(false);
  });
});

describe('the built package (dist/)', () => {
  it('has every file the exports point to', () => {
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      for (const file of [target.import.types, target.import.default, target.require.types, target.require.default]) {
        expect(existsSync(file), `${key}: ${file} (run npm run build)`).toBe(true);
      }
    }
  });

  it('loads every subpath with import and with require, as a user would', () => {
    const names = Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? 'fits-ingest' : `fits-ingest/${k.slice(2)}`));
    const esm = `for (const n of ${JSON.stringify(names)}) { const m = await import(n); if (Object.keys(m).length === 0) throw new Error(n + ' exports nothing'); }
      const { verifyFile, Header, createIngestor, IngestError } = await import('fits-ingest');
      if (typeof verifyFile !== 'function' || typeof Header !== 'function' || typeof createIngestor !== 'function') throw new Error('missing API');
      console.log('esm ok');`;
    const cjs = `for (const n of ${JSON.stringify(names)}) { const m = require(n); if (Object.keys(m).length === 0) throw new Error(n + ' exports nothing'); }
      const { createSqliteCatalog } = require('fits-ingest/catalogs/sqlite');
      const { isIngestError, IngestError } = require('fits-ingest');
      if (!isIngestError(new IngestError('INTERNAL', 'x'))) throw new Error('errors');
      if (typeof createSqliteCatalog !== 'function') throw new Error('sqlite');
      console.log('cjs ok');`;
    expect(execFileSync('node', ['--input-type=module', '-e', esm], { encoding: 'utf8' }).trim()).toBe('esm ok');
    expect(execFileSync('node', ['-e', cjs], { encoding: 'utf8' }).trim()).toBe('cjs ok');
  });
});
