#!/usr/bin/env node
/**
 * `npm run bench [-- name…]`: runs the benchmarks and prints every figure as a ratio against a reference
 * measured in the same run (CFITSIO, astropy, cp, curl…). Results also go to .bench/results.json.
 *
 * Each bench module exports `main()` resolving to rows `{ name, value, unit, reference, ratio, note? }`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Bench name → module, in the order they run. */
const BENCHES = {
  checksum: 'checksum.mjs',
  header: 'header.mjs',
  ingest: 'ingest.mjs',
  keyword: 'keyword.mjs',
  http: 'http.mjs',
  media: 'media.mjs',
  scrub: 'scrub.mjs',
  portal: 'portal.mjs',
  postgres: 'postgres.mjs',
  feed: 'feed.mjs',
  reprocess: 'reprocess.mjs',
  small: 'small.mjs',
  quicklook: 'quicklook.mjs',
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const results = [];
let failed = false;
for (const [name, file] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  try {
    const mod = await import(pathToFileURL(join(here, file)).href);
    const rows = await mod.main();
    for (const row of rows) {
      results.push({ bench: name, ...row });
      const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
      console.log(`${row.name}: ${fmt(row.value)} ${row.unit} vs ${fmt(row.reference)} ${row.unit} → ratio ${row.ratio.toFixed(2)}${row.note ? `  (${row.note})` : ''}`);
    }
  } catch (error) {
    failed = true;
    console.error(`bench ${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
  }
}
const out = resolve(here, '..', '.bench');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.json'), `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`);
console.log(`\nresults written to ${join(out, 'results.json')}`);
process.exit(failed ? 1 : 0);
