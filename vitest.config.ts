import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // The tests run the sources: give src/core/version.ts the version tsup compiles into dist/.
  define: { __FITS_INGEST_VERSION__: JSON.stringify(version) },
  test: {
    include: ['test/**/*.test.ts'],
    // fitsverify checks every FITS file a test archived before its directory is removed (issue 10).
    setupFiles: ['test/helpers/archive-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    typecheck: { include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
