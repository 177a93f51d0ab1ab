/** Distribution packages end to end: a night ingested for real, then packaged by the CLI and the library. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInstruments, openCatalog } from '../../src/cli/_setup.js';
import { MANIFEST_COLUMNS, planDistribution, type DistributionManifest } from '../../src/distribute/index.js';
import type { Catalog } from '../../src/core/ports/catalog.js';
import { walkFile } from '../../src/io/fits-file.js';
import { cli } from '../helpers/cli.js';
import { fitsverify } from '../helpers/oracles.js';
import { buildNight, WEATHER_CSV, type TestNight } from './_night.js';

let night: TestNight;
let catalog: Catalog;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const readManifest = (out: string) => JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as DistributionManifest;

beforeAll(async () => {
  night = await buildNight('e2e');
  const instruments = await loadInstruments();
  catalog = openCatalog(night.catalog, instruments);
  await catalog.init();
}, 60_000);
afterAll(async () => {
  await catalog?.close();
  rmSync(night.dir, { recursive: true, force: true });
});

describe('planDistribution', () => {
  it("selects the program's science frames, the calibrations the KCWI rules associate, and the night's attachments", async () => {
    const instruments = await loadInstruments();
    const plan = await planDistribution(catalog, { program: 'K123', instruments });
    const { ids } = night;
    const role = (r: string) => plan.files.filter((f) => f.role === r).map((f) => f.file.archiveId).sort();
    expect(role('science')).toEqual([ids.sci1, ids.sciMef, ids.sciRed].sort());
    // Same camera, binning and state; the 1,1-binned bias, the next week's bias and K999's frame stay out.
    expect(role('calibration')).toEqual([ids.bias1, ids.bias2, ids.flat, ids.arc, ids.redBias].sort());
    expect(role('attachment')).toEqual([ids.weather, ids.notesK123].sort());
    const bias = plan.files.find((f) => f.file.archiveId === ids.bias1)!;
    expect(bias.reasons).toEqual([`bias for ${ids.sci1}`, `bias for ${ids.sciMef}`]);
    // The red arm has a bias but no flat or arc of its state: the plan says so.
    expect(plan.notes).toEqual([`arcs and bars: no calibration found for ${ids.sciRed}`, `flats: no calibration found for ${ids.sciRed}`]);
    await expect(planDistribution(catalog, { program: 'K123', instruments, nightFrom: '2026-11-21' })).rejects.toMatchObject({ code: 'NO_SUCH_PROGRAM' });
  });
});

describe('fits-ingest distribute (folder)', () => {
  it('writes data equal to the archive, thumbnails, header listings, restored attachments, and agreeing manifests', async () => {
    const out = join(night.dir, 'raw');
    const r = await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.lines.at(-1)!);
    expect(summary).toMatchObject({ science: 3, calibrations: 5, attachments: 2, missing: 0, index: join(out, 'index.html') });
    const manifest = readManifest(out);
    expect(manifest.frames).toHaveLength(10);
    for (const frame of manifest.frames) {
      const archived = (await catalog.getArchived(frame.archiveId))!;
      const data = manifest.files.find((f) => f.path === frame.data[0])!;
      expect(sha(join(out, data.path))).toBe(archived.sha256);
      expect(data.sha256).toBe(archived.sha256);
      expect(readFileSync(join(out, frame.header!), 'utf8')).toContain(`# ${frame.archiveId}`);
    }
    // Every file: the manifest's size and digest are the bytes on disk.
    for (const f of manifest.files) expect([f.size, f.sha256]).toEqual([readFileSync(join(out, f.path)).length, sha(join(out, f.path))]);
    // Thumbnails: one per image HDU (two for the two-amplifier frame), decodable, 96x80 (under 256), not constant.
    const mef = manifest.frames.find((f) => f.archiveId === night.ids.sciMef)!;
    expect(mef.thumbnails.map((t) => t.hdu)).toEqual([1, 2]);
    const thumbnails = manifest.frames.flatMap((f) => f.thumbnails);
    expect(thumbnails).toHaveLength(9);
    for (const t of thumbnails) {
      const png = PNG.sync.read(readFileSync(join(out, t.path)));
      expect([png.width, png.height]).toEqual([96, 80]);
      const grey = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4) grey.add(png.data[i]!);
      expect(grey.size).toBeGreaterThan(16);
      expect(t.z2).toBeGreaterThan(t.z1);
    }
    // The weather table comes back as the file the observatory wrote.
    const weather = manifest.frames.find((f) => f.archiveId === night.ids.weather)!;
    const csv = manifest.files.find((f) => f.kind === 'unwrapped' && f.archiveId === night.ids.weather)!;
    expect(weather.data).toContain(csv.path);
    expect(readFileSync(join(out, csv.path), 'utf8')).toBe(WEATHER_CSV);
    // MANIFEST.txt lists the same files, sizes and digests as manifest.json.
    const text = readFileSync(join(out, 'MANIFEST.txt'), 'utf8').split('\n');
    const head = text.findIndex((l) => l.startsWith(MANIFEST_COLUMNS.join(' ').slice(0, 6)));
    const rows = text.slice(head + 1, head + 1 + manifest.files.length).map((l) => l.trim().split(/\s+/));
    expect(rows.map(([volume, member, size, digest, path]) => ({ volume, member, size: Number(size), digest, path }))).toEqual(
      manifest.files.map((f) => ({ volume: '-', member: '-', size: f.size, digest: f.sha256, path: f.path })),
    );
  }, 30_000);

  it('split: one fitsverify-clean file per extension, with the primary keywords and the original data bytes', async () => {
    const out = join(night.dir, 'split');
    const r = await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', out, '--format', 'split', '--no-thumbnails');
    expect(r.code, r.stderr).toBe(0);
    const manifest = readManifest(out);
    const mef = manifest.frames.find((f) => f.archiveId === night.ids.sciMef)!;
    expect(mef.data.map((p) => p.split('/').at(-1))).toEqual([`${night.ids.sciMef}_01_AMP1.fits`, `${night.ids.sciMef}_02_AMP2.fits`]);
    expect(manifest.frames.every((f) => f.thumbnails.length === 0)).toBe(true);
    const original = (await catalog.getArchived(night.ids.sciMef!))!;
    const source = readFileSync(original.locations[0]!.uri);
    const hdus = (await walkFile(original.locations[0]!.uri)).hdus;
    for (const [i, path] of mef.data.entries()) {
      const verdict = fitsverify(join(out, path));
      expect(verdict.errors + verdict.warnings, verdict.output).toBe(0);
      const [hdu] = (await walkFile(join(out, path))).hdus;
      expect(hdu!.header.getString('PROGID')).toBe('K123');
      expect(hdu!.header.getString('EXTNAME')).toBe(`AMP${i + 1}`);
      const ext = hdus[i + 1]!;
      const bytes = readFileSync(join(out, path)).subarray(hdu!.dataOffset);
      expect(Buffer.compare(bytes, source.subarray(ext.dataOffset, ext.dataOffset + ext.layout.paddedSize))).toBe(0);
    }
    // Single-HDU frames and attachments are given whole.
    const sci1 = manifest.frames.find((f) => f.archiveId === night.ids.sci1)!;
    expect(sha(join(out, sci1.data[0]!))).toBe((await catalog.getArchived(night.ids.sci1!))!.sha256);
  }, 30_000);

  it('products: the product replaces its raw frame; frames without one stay raw, with a note', async () => {
    const out = join(night.dir, 'products');
    const r = await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', out, '--format', 'products', '--no-thumbnails');
    expect(r.code, r.stderr).toBe(0);
    const frames = readManifest(out).frames;
    expect(frames.find((f) => f.archiveId === night.ids.product)).toMatchObject({ role: 'product', reasons: [`product of ${night.ids.sci1}`] });
    expect(frames.find((f) => f.archiveId === night.ids.sci1)).toBeUndefined();
    expect(frames.find((f) => f.archiveId === night.ids.sciMef)?.note).toMatch(/raw frame is given instead/);
  }, 30_000);

  it('exits 1 for an unknown program, 2 for bad options, and shows --help', async () => {
    const unknown = await cli('distribute', '--catalog', night.catalog, '--program', 'NOPE', '--out', join(night.dir, 'nope'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no raw frame of program "NOPE".*NO_SUCH_PROGRAM/);
    expect((await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', join(night.dir, 'x'), '--format', 'zip')).code).toBe(2);
    expect((await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', join(night.dir, 'x'), '--from', '20261120')).code).toBe(2);
    const help = await cli('distribute', '--help');
    expect(help.stdout).toMatch(/--volume-size/);
  });

  it('skips an archived file whose bytes changed, names it, lists it as missing, and exits 1', async () => {
    const damaged = (await catalog.getArchived(night.ids.flat!))!.locations[0]!.uri;
    const good = readFileSync(damaged);
    const bad = Buffer.from(good);
    bad[bad.length - 100] = (bad[bad.length - 100] ?? 0) ^ 0xff;
    writeFileSync(damaged, bad);
    try {
      const out = join(night.dir, 'damaged');
      const r = await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', out);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${night.ids.flat} skipped`);
      expect(r.stderr).toContain('ARCHIVED_COPY_MISSING');
      const manifest = readManifest(out);
      expect(manifest.frames.find((f) => f.archiveId === night.ids.flat)).toMatchObject({ status: 'missing', data: [] });
      expect(manifest.frames.filter((f) => f.status === 'ok')).toHaveLength(9);
      expect(existsSync(join(out, 'data', '2026-11-20', `${night.ids.flat}.fits`))).toBe(false);
      expect(existsSync(join(out, 'data', '2026-11-20', `${night.ids.flat}.fits.partial`))).toBe(false);
      expect(readFileSync(join(out, 'MANIFEST.txt'), 'utf8')).toMatch(new RegExp(`MISSING[^]*${night.ids.flat!.replace(/\./g, '\\.')}`));
    } finally {
      writeFileSync(damaged, good);
    }
  }, 30_000);
});
