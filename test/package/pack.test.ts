/**
 * The package as npm ships it: `npm pack`, then installed from the tarball into an empty folder WITHOUT the optional
 * peer dependencies (zeromq, smtp-server, mailparser, nodemailer, pg), as a user of the FITS core would. The core, the
 * SQLite catalog and the CLI must load and work there (ESM and CommonJS); the adapters that need a peer must say so
 * with DEPENDENCY_MISSING naming the package. Needs `npm run build` first (dist/ is what is packed).
 *
 * The install is offline (npm's cache holds every package after `npm ci`) and skips install scripts: better-sqlite3
 * would otherwise compile for minutes without network; its addon, built by this repo's `npm ci`, is copied instead
 * (same version, checked).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  files: string[];
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};
const PEERS = ['zeromq', 'smtp-server', 'mailparser', 'nodemailer', 'pg'];
const ADDON = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

let work: string;
let packed: string[];
let app: string;

const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const node = (args: string[]): string => execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' });
const versionOf = (dir: string, name: string): string =>
  (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(() => {
  expect(existsSync('dist/index.js'), 'dist/ is missing: run npm run build').toBe(true);
  work = mkdtempSync(join(tmpdir(), 'fits-ingest-pack-'));
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT)) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((f) => f.path);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  const install = ['install', join(work, info.filename), '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'];
  try {
    npm([...install, '--offline'], app);
  } catch {
    npm([...install, '--prefer-offline'], app); // a cache entry npm will not trust offline: let it revalidate
  }
  const addon = join(app, ADDON);
  expect(versionOf(app, 'better-sqlite3'), 'better-sqlite3 in the tarball install and in this repo').toBe(versionOf(ROOT, 'better-sqlite3'));
  mkdirSync(dirname(addon), { recursive: true });
  copyFileSync(join(ROOT, ADDON), addon);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('package.json dependencies', () => {
  it('declares the heavy adapter libraries as optional peers (and dev dependencies), the embedded defaults as dependencies', () => {
    for (const name of PEERS) {
      expect(pkg.peerDependencies[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies[name], `${name}: the CLI, demo and tests of this repo need it after npm ci`).toBe(pkg.peerDependencies[name]);
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
    for (const name of ['better-sqlite3', 'chokidar']) expect(pkg.dependencies[name], name).toBeDefined();
  });

  it('bundles no package into dist/: dependencies and peers stay imports (tsup externals)', () => {
    const files = readdirSync('dist', { recursive: true, encoding: 'utf8' }).filter((f) => /\.c?js$/.test(f));
    expect(files.length).toBeGreaterThan(20);
    // esbuild marks code it copied from a package with a `// node_modules/<path>` comment.
    for (const file of files) expect(readFileSync(join('dist', file), 'utf8'), file).not.toMatch(/^\/\/ node_modules\//m);
  });

  it('lists in "files" only paths that exist', () => {
    for (const path of pkg.files) expect(existsSync(path), path).toBe(true);
  });
});

describe('the packed tarball installed without the optional peers', () => {
  it('ships dist, README and docs, not the sources or tests', () => {
    for (const path of ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/catalogs/sqlite.js', 'docs/architecture.md']) {
      expect(packed, path).toContain(path);
    }
    expect(packed.filter((p) => /^(src|test|bench|scripts)\//.test(p))).toEqual([]);
  });

  it('installed none of the peers', () => {
    expect(readdirSync(join(app, 'node_modules', 'fits-ingest', 'dist')).length).toBeGreaterThan(0);
    for (const name of PEERS) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
  });

  it('imports the core and the SQLite catalog with import (ESM), and the catalog works on a file', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `const core = await import('fits-ingest');
       for (const name of ['verifyFile', 'Header', 'createIngestor', 'IngestError']) if (typeof core[name] !== 'function') throw new Error('fits-ingest lacks ' + name);
       const { createSqliteCatalog } = await import('fits-ingest/catalogs/sqlite');
       const catalog = createSqliteCatalog({ path: 'esm.sqlite' });
       await catalog.init();
       await catalog.close();
       console.log('esm ok');`,
    ]);
    expect(out.trim()).toBe('esm ok');
    expect(existsSync(join(app, 'esm.sqlite'))).toBe(true);
  });

  it('requires the core and the SQLite catalog (CommonJS)', () => {
    const out = node([
      '--input-type=commonjs',
      '-e',
      `const core = require('fits-ingest');
       for (const name of ['verifyFile', 'Header', 'createIngestor', 'IngestError']) if (typeof core[name] !== 'function') throw new Error('fits-ingest lacks ' + name);
       const { createSqliteCatalog } = require('fits-ingest/catalogs/sqlite');
       const catalog = createSqliteCatalog({ path: 'cjs.sqlite' });
       catalog.init().then(() => catalog.close()).then(() => console.log('cjs ok'));`,
    ]);
    expect(out.trim()).toBe('cjs ok');
  });

  it('gives DEPENDENCY_MISSING naming zeromq (and smtp-server, pg) when their adapters start, ESM and CommonJS', () => {
    const probe = (load: string): string => `
      const { createZeromqKeywordSource } = ${load}('fits-ingest/keyword-sources/zeromq');
      const { createSmtpTrigger } = ${load}('fits-ingest/triggers/smtp');
      const source = createZeromqKeywordSource({ endpoint: 'tcp://127.0.0.1:1' });
      const zmq = await source.connect().then(() => 'connected', (e) => e);
      await source.close();
      const smtp = await createSmtpTrigger({ port: 0, roots: ['.'], rejectedDir: 'rejected', users: { u: 'p' } })
        .start({ submit: async () => {}, alert: () => {} }).then(() => 'started', (e) => e);
      const { createPostgresCatalog } = ${load}('fits-ingest/catalogs/postgres');
      const pg = await createPostgresCatalog({ connectionString: 'postgres://u:secret@127.0.0.1:1/db' }).init().then(() => 'opened', (e) => e);
      console.log(JSON.stringify([zmq, smtp, pg].map((e) => ({ code: e.code, package: e.context?.package, message: e.message }))));`;
    for (const script of [
      ['--input-type=module', '-e', probe('await import')],
      ['--input-type=commonjs', '-e', `(async () => { ${probe('require')} })().catch((e) => { console.error(e); process.exit(1); });`],
    ]) {
      const [zmq, smtp, pg] = JSON.parse(node(script)) as { code: string; package: string; message: string }[];
      expect(zmq).toMatchObject({ code: 'DEPENDENCY_MISSING', package: 'zeromq' });
      expect(zmq!.message).toContain('npm install zeromq@6');
      expect(smtp).toMatchObject({ code: 'DEPENDENCY_MISSING', package: 'smtp-server' });
      expect(smtp!.message).toContain('npm install smtp-server@3');
      expect(pg).toMatchObject({ code: 'DEPENDENCY_MISSING', package: 'pg' });
      expect(pg!.message).toContain('npm install pg@8');
    }
  });

  it('runs the CLI without the peers', () => {
    const bin = join(app, 'node_modules', 'fits-ingest', 'dist', 'cli', 'main.js');
    expect(node([bin, '--version']).trim()).toBe(pkg.version);
    expect(node([bin, '--help'])).toContain('ingest');
  });
});
