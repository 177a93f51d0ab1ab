#!/usr/bin/env node
/**
 * Header parsing rate: fits-ingest's Header.parse against astropy's Header.fromstring on the same header text,
 * in the same run. astropy parses card values lazily, so it is timed twice: fromstring alone, and fromstring
 * followed by reading every value (what Header.parse always does).
 *
 * `main()` returns rows `{ name, value, unit, reference, ratio }` for bench/run.mjs.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Header } from '../dist/index.js';

const PYTHON = '/usr/bin/python3';

/** A realistic mixed header of `n` cards: integers, reals, strings, logicals, comments, HIERARCH, history. */
export function headerText(n) {
  const card = (t) => t.padEnd(80);
  const cards = [
    card('SIMPLE  =                    T / conforms to FITS standard'),
    card('BITPIX  =                   16 / array data type'),
    card('NAXIS   =                    2 / number of array dimensions'),
    card('NAXIS1  =                 4096'),
    card('NAXIS2  =                 4096'),
  ];
  for (let i = 0; cards.length < n - 1; i++) {
    switch (i % 6) {
      case 0:
        cards.push(card(`INT${i}`.padEnd(8).slice(0, 8) + `= ${String(i * 37).padStart(20)} / an integer`));
        break;
      case 1:
        cards.push(card(`REAL${i}`.padEnd(8).slice(0, 8) + `= ${(i * 1.2345e-3).toExponential(9).toUpperCase().padStart(20)} / a real value`));
        break;
      case 2:
        cards.push(card(`STR${i}`.padEnd(8).slice(0, 8) + `= 'value ${i} with text'     / a string`));
        break;
      case 3:
        cards.push(card(`BOOL${i}`.padEnd(8).slice(0, 8) + `= ${'T'.padStart(20)} / a logical`));
        break;
      case 4:
        cards.push(card(`HISTORY processing step ${i} applied by the pipeline`));
        break;
      default:
        cards.push(card(`HIERARCH ESO DET CHIP${i} GAIN = ${(1 + i / 1000).toFixed(4)} / e-/ADU`));
    }
  }
  cards.push(card('END'));
  const text = cards.join('');
  return text.padEnd(Math.ceil(text.length / 2880) * 2880, ' ');
}

function timeOurs(text, cards) {
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const iterations = 200;
    const start = performance.now();
    let sink = 0;
    for (let i = 0; i < iterations; i++) sink += Header.parse(bytes).header.length;
    const seconds = (performance.now() - start) / 1000;
    if (sink === 0) throw new Error('no cards parsed');
    best = Math.min(best, seconds / iterations);
  }
  return cards / best;
}

function timeAstropy(text, cards) {
  const script = `
import sys, time, warnings
from astropy.io.fits import Header
warnings.simplefilter('ignore')
text = sys.stdin.read()
def best(fn, n):
    b = 1e9
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n): fn()
        b = min(b, (time.perf_counter() - t) / n)
    return b
lazy = best(lambda: Header.fromstring(text), 20)
def full():
    h = Header.fromstring(text)
    for c in h.cards: c.value
full_t = best(full, 5)
print(lazy, full_t)
`;
  const run = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`astropy bench failed (is python3-astropy installed?): ${run.stderr}`);
  const [lazy, full] = run.stdout.trim().split(/\s+/).map(Number);
  return { lazy: cards / lazy, full: cards / full };
}

/** A primary header whose LONGSTR value runs over `n` CONTINUE cards (issue 10: once quadratic). */
export function continueHeaderText(n) {
  const card = (t) => t.padEnd(80);
  const cards = [card('SIMPLE  =                    T'), card('BITPIX  =                    8'), card('NAXIS   =                    0'), card("LONGSTR = 'start&'")];
  for (let i = 0; i < n; i++) cards.push(card(`CONTINUE  'piece ${String(i).padStart(6, '0')} of a very long string value&'`));
  cards.push(card("CONTINUE  'end'"), card('END'));
  const text = cards.join('');
  return text.padEnd(Math.ceil(text.length / 2880) * 2880, ' ');
}

/**
 * Cards per second reading a 20,000-CONTINUE header and its joined value, against astropy reading the same
 * header and the long string's value (astropy joins CONTINUE cards when the value is read).
 */
function continueRow() {
  const n = 20_000;
  const text = continueHeaderText(n);
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    const value = Header.parse(bytes).header.getString('LONGSTR');
    best = Math.min(best, (performance.now() - start) / 1000);
    if (!value?.endsWith('valueend')) throw new Error('the long string was not joined');
  }
  const script = `
import sys, time, warnings
from astropy.io.fits import Header
warnings.simplefilter('ignore')
text = sys.stdin.read()
b = 1e9
for _ in range(5):
    t = time.perf_counter()
    v = Header.fromstring(text)['LONGSTR']
    b = min(b, time.perf_counter() - t)
assert v.endswith('valueend'), v[-20:]
print(b)
`;
  const run = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`astropy CONTINUE bench failed (is python3-astropy installed?): ${run.stderr}`);
  const astropy = Number(run.stdout.trim());
  const cards = n + 6;
  return {
    name: 'header parse, 20,000-CONTINUE long string, fits-ingest vs astropy fromstring+value',
    value: cards / best,
    unit: 'cards/s',
    reference: cards / astropy,
    ratio: astropy / best,
    note: `${(best * 1000).toFixed(1)} ms vs ${(astropy * 1000).toFixed(1)} ms`,
  };
}

export async function main() {
  const cards = 2000;
  const text = headerText(cards);
  const ours = timeOurs(text, cards);
  const astropy = timeAstropy(text, cards);
  const rows = [
    { name: 'header parse (typed values), fits-ingest vs astropy fromstring+values', value: ours, unit: 'cards/s', reference: astropy.full },
    { name: 'header parse (typed values), fits-ingest vs astropy fromstring (lazy)', value: ours, unit: 'cards/s', reference: astropy.lazy },
  ].map((r) => ({ ...r, ratio: r.value / r.reference }));
  rows.push(continueRow());
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await main()) console.log(`${row.name}: ${Math.round(row.value)} ${row.unit} vs ${Math.round(row.reference)} → ×${row.ratio.toFixed(2)}`);
}
