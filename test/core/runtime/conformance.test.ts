import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import { builtinInstruments, createIngestor, type Ingestor } from '../../../src/index.js';
import type { InstrumentDescription } from '../../../src/core/instruments/schema.js';
import { frameName, makeFrame } from '../../../src/simulator/frames.js';
import { archiveCheckStats, archivedCopiesUnder } from '../../helpers/archive-check.js';
import { cli } from '../../helpers/cli.js';
import { card } from '../../helpers/fits.js';
import { astropyInfo, fitsFilesUnder, fitsverify, PYTHON } from '../../helpers/oracles.js';

const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));
let dir: string;
let ingestor: Ingestor | undefined;

afterEach(async () => {
  await ingestor?.stop();
  await ingestor?.catalog.close();
  ingestor = undefined;
  rmSync(dir, { recursive: true, force: true });
});

type Policy = Partial<InstrumentDescription['conformance']>;

/** A real engine: SQLite catalog outside the archive, filesystem transport, KCWI with the given policy. */
async function engine(policy: Policy = {}): Promise<{ incoming: string; archive: string }> {
  dir = mkdtempSync(join(tmpdir(), 'fits-conformance-'));
  const incoming = join(dir, 'incoming');
  const archive = join(dir, 'archive');
  mkdirSync(incoming);
  mkdirSync(archive);
  const instruments = builtinInstruments().map((d) => (d.name === 'KCWI' ? { ...d, conformance: { ...d.conformance, ...policy } } : d));
  ingestor = createIngestor({
    instruments,
    catalog: createSqliteCatalog({ path: join(dir, 'catalog.sqlite'), instruments }),
    transports: [createFilesystemTransport({ root: archive })],
    staging: join(dir, 'staging'),
    stability: { quietMs: 20, pollMs: 10, settleMs: 100 },
    retry: { maxAttempts: 1 },
    tickMs: 10,
  });
  await ingestor.start();
  return { incoming, archive };
}

async function ingest(path: string) {
  const { record } = await ingestor!.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
  const [settled] = await ingestor!.settled([record.id]);
  return settled!;
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/**
 * A KCWI frame whose primary header gets `cards` (80-column images) appended before END — or, with `replace`, put
 * in place of the cards with the same keyword.
 */
function frameWith(cards: string[], n = 1, extensions = 0, replace = false): { name: string; bytes: Uint8Array } {
  const options = { time: new Date(T.getTime() + n * 60_000), frameNumber: n, axes: [64, 64] as [number, number], extensions };
  let text = latin1(makeFrame(options));
  if (replace) {
    cards = cards.filter((image) => {
      let at = 0;
      while (text.slice(at, at + 8) !== 'END     ' && text.slice(at, at + 8) !== image.slice(0, 8)) at += 80;
      if (text.slice(at, at + 8) === 'END     ') return true;
      text = text.slice(0, at) + card(image) + text.slice(at + 80);
      return false;
    });
  }
  let end = 0;
  while (text.slice(end, end + 8) !== 'END     ') end += 80;
  const headerEnd = Math.ceil((end + 80) / 2880) * 2880;
  let header = text.slice(0, end) + cards.map(card).join('') + card('END');
  header = header.padEnd(Math.ceil(header.length / 2880) * 2880, ' ');
  return { name: frameName(options), bytes: new Uint8Array(Buffer.from(header + text.slice(headerEnd), 'latin1')) };
}

function write(incoming: string, name: string, bytes: Uint8Array): string {
  const path = join(incoming, name);
  writeFileSync(path, bytes);
  return path;
}

describe('validate before copy: values out of range', () => {
  const cards = ['XPOSURE = 1.0D99999 / exposure', 'ELAPTIME=                1E400', 'AIRMASS =            -1E99999'];

  it('archives with null columns and VALUE_OUT_OF_RANGE warnings by default, the header text kept', async () => {
    const { incoming, archive } = await engine();
    const { name, bytes } = frameWith(cards, 1, 0, true);
    const record = await ingest(write(incoming, name, bytes));
    expect(record.state).toBe('ARCHIVED');
    const ranged = record.warnings.filter((w) => w.code === 'VALUE_OUT_OF_RANGE').map((w) => w.keyword).sort();
    expect(ranged).toEqual(['AIRMASS', 'ELAPTIME', 'XPOSURE']);
    const archived = await ingestor!.catalog.getArchived(record.archiveId!);
    expect(archived!.columns).toMatchObject({ xposure: null, elaptime: null, airmass: null });
    const copy = readFileSync(archived!.locations[0]!.uri, 'latin1');
    expect(copy).toContain(card('XPOSURE = 1.0D99999 / exposure'));
    expect(archivedCopiesUnder(archive)).toEqual([archived!.locations[0]!.uri]);
  });

  it('outOfRange: reject makes the file INVALID with VALUE_OUT_OF_RANGE and writes nothing to the archive', async () => {
    const { incoming, archive } = await engine({ outOfRange: 'reject' });
    const { name, bytes } = frameWith(cards, 1, 0, true);
    const record = await ingest(write(incoming, name, bytes));
    expect(record.state).toBe('INVALID');
    expect(record.error).toMatchObject({ code: 'VALUE_OUT_OF_RANGE', step: 'prepare' });
    expect(record.error!.message).toMatch(/HDU 0: .*XPOSURE = Infinity is beyond the range of a catalog real column/);
    expect(fitsFilesUnder(archive)).toEqual([]);
    expect(spawnSync('find', [archive, '-type', 'f'], { encoding: 'utf8' }).stdout).toBe('');
  });
});

describe('validate before copy: headers fitsverify rejects', () => {
  const odd: Record<string, { cards: string[]; card: number; keyword: string; code: string }> = {
    'non-ASCII keyword': { cards: ['EXP\xc9    =                    1'], card: 0, keyword: 'EXP\xc9', code: 'NON_ASCII' },
    'second SIMPLE': { cards: ['SIMPLE  =                    T'], card: 0, keyword: 'SIMPLE', code: 'DUPLICATE_KEYWORD' },
    'BITPIX repeated': { cards: ['BITPIX  =                   16'], card: 0, keyword: 'BITPIX', code: 'DUPLICATE_KEYWORD' },
    'NAXIS1 repeated': { cards: ['NAXIS1  =                   64'], card: 0, keyword: 'NAXIS1', code: 'DUPLICATE_KEYWORD' },
    'unterminated string': { cards: ["TARGNAME= 'M13 core"], card: 0, keyword: 'TARGNAME', code: 'UNTERMINATED_STRING' },
  };

  it.each(Object.keys(odd))('%s: INVALID NONCONFORMING_HEADER naming HDU, card and byte offset; archive untouched', async (label) => {
    const { incoming, archive } = await engine();
    const { name, bytes } = frameWith(odd[label]!.cards);
    // The case really is one fitsverify rejects.
    const source = write(incoming, name, bytes);
    expect(fitsverify(source).errors).toBeGreaterThan(0);
    const record = await ingest(source);
    expect(record.state).toBe('INVALID');
    expect(record.error).toMatchObject({ code: 'NONCONFORMING_HEADER', step: 'prepare' });
    // The card appended last sits just before END: find its number and byte offset in the source.
    const text = latin1(bytes);
    const at = text.indexOf(card(odd[label]!.cards[0]!));
    expect(record.error!.message).toContain(`HDU 0 card ${at / 80 + 1} byte ${at}`);
    expect(record.error!.message).toContain(odd[label]!.code);
    expect(spawnSync('find', [archive, '-type', 'f'], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('minorIssues: a repeated ordinary keyword is archived with a warning, or refused when the policy says reject', async () => {
    const { incoming } = await engine();
    const dup = frameWith(['OBSERVER= \'A\'', 'OBSERVER= \'B\''], 2);
    const record = await ingest(write(incoming, dup.name, dup.bytes));
    expect(record.state).toBe('ARCHIVED');
    expect(record.warnings.map((w) => w.code)).toContain('DUPLICATE_KEYWORD');
    await ingestor!.stop();
    await ingestor!.catalog.close();
    rmSync(dir, { recursive: true, force: true });
    const strict = await engine({ minorIssues: 'reject' });
    const again = await ingest(write(strict.incoming, dup.name, dup.bytes));
    expect(again.state).toBe('INVALID');
    expect(again.error!.code).toBe('NONCONFORMING_HEADER');
  });
});

describe('missing data fill', () => {
  /** A two-HDU frame whose last data block lacks its fill. */
  function unfilled(): { name: string; bytes: Uint8Array; cut: number } {
    const { name, bytes } = frameWith([], 3, 1);
    const cut = bytes.length - (8640 - 64 * 64 * 2);
    return { name, bytes: bytes.subarray(0, cut), cut };
  }

  it('is repaired by default: the copy is padded with zeros, verified, readable by astropy and fitsverify', async () => {
    const { incoming } = await engine();
    const { name, bytes, cut } = unfilled();
    const record = await ingest(write(incoming, name, bytes));
    expect(record.state).toBe('ARCHIVED');
    const warning = record.warnings.find((w) => w.code === 'MISSING_DATA_FILL');
    expect(warning?.message).toMatch(new RegExp(`HDU 1.*448 fill bytes missing at byte offset ${cut} \\(padded\\)`));
    const copy = (await ingestor!.catalog.getArchived(record.archiveId!))!.locations[0]!.uri;
    const archived = readFileSync(copy);
    expect(archived.length % 2880).toBe(0);
    expect([...archived.subarray(archived.length - 448)].every((b) => b === 0)).toBe(true);
    expect(Buffer.compare(archived.subarray(archived.length - 2880, archived.length - 448), Buffer.from(bytes.subarray(cut - 2432)))).toBe(0);
    expect(fitsverify(copy)).toMatchObject({ errors: 0, checksumProblems: [] });
    const info = astropyInfo([copy])[copy];
    expect(Array.isArray(info) && info.map((h) => [h.checksumStatus, h.datasumStatus])).toEqual([[1, 1], [1, 1]]);
    expect((await cli('checksum', 'verify', copy)).code).toBe(0);
  });

  it('missingFill: reject makes the file INVALID with MISSING_DATA_FILL, HDU and offset', async () => {
    const { incoming, archive } = await engine({ missingFill: 'reject' });
    const { name, bytes, cut } = unfilled();
    const record = await ingest(write(incoming, name, bytes));
    expect(record.state).toBe('INVALID');
    expect(record.error).toMatchObject({ code: 'MISSING_DATA_FILL', step: 'prepare' });
    expect(record.error!.message).toContain(`HDU 1 byte ${cut}`);
    expect(spawnSync('find', [archive, '-type', 'f'], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('checksum verify fails such a file (exit 1), naming the HDU and byte offset', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fits-conformance-'));
    const { bytes, cut } = unfilled();
    const path = join(dir, 'unfilled.fits');
    writeFileSync(path, bytes);
    const run = await cli('checksum', 'verify', path);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`HDU 1 byte offset ${cut}: error MISSING_DATA_FILL`);
  });
});

describe('the shared archive check', () => {
  it('fails the removal of an archive holding a copy fitsverify rejects, and removes it anyway', () => {
    dir = mkdtempSync(join(tmpdir(), 'fits-conformance-'));
    const night = join(dir, 'archive', 'KCWI', '20261120');
    mkdirSync(night, { recursive: true });
    const bad = frameWith(['BITPIX  =                   16']);
    writeFileSync(join(night, 'bad.fits'), bad.bytes);
    writeFileSync(join(night, 'bad.fits.json'), '{}');
    writeFileSync(join(night, 'incoming-not-archived.fits'), bad.bytes);
    const before = archiveCheckStats.checked;
    expect(() => rmSync(join(dir, 'archive'), { recursive: true })).toThrow(/fitsverify rejects 1 archived file\(s\): .*bad\.fits/);
    expect(existsSync(join(dir, 'archive'))).toBe(false);
    expect(archiveCheckStats.checked).toBe(before);
    expect(PYTHON).toBeTruthy();
  });
});
