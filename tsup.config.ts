import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/** package.json's version, compiled into src/core/version.ts (archived headers carry it). */
export const version = (JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Public library entry points. Each key is the output path under dist/ (without extension); package.json
 * "exports" must list exactly these (test/package/exports.test.ts checks it).
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
  'catalogs/memory': 'src/adapters/catalogs/memory.ts',
  'catalogs/sqlite': 'src/adapters/catalogs/sqlite.ts',
  'catalogs/postgres': 'src/adapters/catalogs/postgres.ts',
  'triggers/filesystem': 'src/adapters/triggers/filesystem.ts',
  'triggers/keyword': 'src/adapters/triggers/keyword.ts',
  'keyword-sources/memory': 'src/adapters/keyword-sources/memory.ts',
  'keyword-sources/zeromq': 'src/adapters/keyword-sources/zeromq.ts',
  'transports/filesystem': 'src/adapters/transports/filesystem.ts',
  'transports/http': 'src/adapters/http/transport.ts',
  'server/http': 'src/adapters/http/server.ts',
  'simulator/index': 'src/simulator/index.ts',
  'triggers/smtp': 'src/adapters/triggers/smtp.ts',
  'triggers/maildir': 'src/adapters/triggers/maildir.ts',
  'triggers/mail': 'src/adapters/triggers/mail.ts',
  'notifiers/index': 'src/adapters/notifiers/index.ts',
  'notifiers/mail': 'src/adapters/notifiers/mail.ts',
  'notifiers/webhook': 'src/adapters/notifiers/webhook.ts',
  'transports/media': 'src/adapters/transports/media/index.ts',
  'distribute/index': 'src/distribute/index.ts',
  'scrub/index': 'src/scrub/index.ts',
};

const common = {
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  // import.meta.url in the CommonJS builds (the pages find uPlot's files in node_modules from it).
  shims: true,
  define: { __FITS_INGEST_VERSION__: JSON.stringify(version) },
} as const;

export default defineConfig([
  {
    ...common,
    entry: entries,
    format: ['esm', 'cjs'],
    dts: true,
    clean: false,
    outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.js' }),
  },
  // The CLI is an ESM program (top-level await); it is not imported by users.
  { ...common, entry: { 'cli/main': 'src/cli/main.ts' }, format: ['esm'], dts: false, clean: false },
]);
