// API reference for every public entry point: the same list tsup builds and package.json exports (tsup.config.ts).
import { readFileSync } from 'node:fs';

const tsup = readFileSync(new URL('./tsup.config.ts', import.meta.url), 'utf8');
const entryPoints = [...tsup.matchAll(/^\s+(?:'[^']+'|\w+): '(src\/[^']+)'/gm)].map((m) => m[1]);

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints,
  out: 'docs/api',
  name: 'fits-ingest',
  readme: 'README.md',
  excludePrivate: true,
  excludeInternal: true,
};
