import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readVolume, writeVolumes } from '../../../../src/adapters/transports/media/index.js';
import { randomItems, sha256, systemTar, workspace } from './_media-fixtures.js';

const VOLUME = 64 * 1024;

describe('writeVolumes', () => {
  it('writes standard pax volumes under the size limit that GNU tar and bsdtar read back byte for byte', async () => {
    const { dir, src, out } = workspace();
    const items = randomItems(src, [0, 1, 511, 512, 513, 10_000, 20_000, 30_000, 5, 40_000]);
    const report = await writeVolumes(items, { out, volumeSize: VOLUME, copies: 2 });
    expect(report.failed).toEqual([]);
    expect(report.items.map((i) => i.serial)).toEqual(items.map((_, i) => i + 1));
    expect(report.volumes.length).toBeGreaterThan(1);
    expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toEqual([]);
    for (const volume of report.volumes) {
      expect(volume.paths).toHaveLength(2);
      const [c1, c2] = volume.paths.map((p) => readFileSync(p));
      expect(c1!.length).toBeLessThanOrEqual(VOLUME);
      expect(c1!.length).toBe(volume.size);
      expect(c2!.length).toBe(c1!.length);
      for (const tar of ['tar', 'bsdtar'] as const) {
        const listing = systemTar(tar, ['-tvf', volume.paths[0]!]);
        expect(listing).toContain(`${volume.label}.label.json`);
        expect(listing).toContain(`${volume.label}.index.json`);
        const into = join(dir, `x-${tar}-${volume.label}`);
        mkdirSync(into);
        systemTar(tar, ['-xf', volume.paths[1]!, '-C', into]);
        const index = JSON.parse(readFileSync(join(into, `${volume.label}.index.json`), 'utf8'));
        expect(index.copy).toBe(2);
        for (const entry of index.members) {
          expect(sha256(readFileSync(join(into, entry.name)))).toBe(entry.sha256);
        }
      }
    }
    for (const item of items) {
      const written = report.items.find((w) => w.member === item.member)!;
      expect(written.sha256).toBe(item.sha256);
      expect(written.placements.map((p) => p.copy)).toEqual([1, 2]);
      for (const p of written.placements) {
        // The recorded offset is where the data lies in the volume file.
        expect(readFileSync(p.path).subarray(p.offset, p.offset + item.size!).equals(item.bytes)).toBe(true);
      }
    }
    // Copies hold identical data at identical offsets (only the copy number in label and index differ).
    const [a, b] = report.volumes[0]!.paths.map((p) => readFileSync(p));
    const differing = [...a!.keys()].filter((i) => a![i] !== b![i]);
    expect(differing.length).toBe(2);
  });

  it('continues labels and serials from the volumes already in out, one unbroken sequence', async () => {
    const { src, out } = workspace();
    const first = await writeVolumes(randomItems(src, [30_000, 30_000, 30_000], 'a'), { out, volumeSize: VOLUME });
    const second = await writeVolumes(randomItems(src, [30_000, 100], 'b'), { out, volumeSize: VOLUME });
    expect(first.items.map((i) => i.serial)).toEqual([1, 2, 3]);
    expect(second.items.map((i) => i.serial)).toEqual([4, 5]);
    expect(first.nextSerial).toBe(4);
    const labels = [...first.volumes, ...second.volumes].map((v) => v.label);
    expect(labels).toEqual(labels.map((_, i) => `FI${String(i + 1).padStart(6, '0')}`));
    const last = await readVolume(second.volumes.at(-1)!.paths[0]!);
    expect(last.index.lastSerial).toBe(5);
  });

  it('fits exactly: a member that fills the volume to the byte goes in, one byte more starts a new volume', async () => {
    const { src, out } = workspace();
    // Measure the overhead of a one-member volume, then write a member of exactly the remaining room.
    const probe = await writeVolumes(randomItems(src, [512], 'p'), { out: workspace().out, volumeSize: VOLUME });
    const overhead = probe.volumes[0]!.size - 512;
    const room = VOLUME - overhead;
    const exact = await writeVolumes(randomItems(src, [room], 'e'), { out, volumeSize: VOLUME });
    expect(exact.failed).toEqual([]);
    expect(exact.volumes[0]!.size).toBe(VOLUME);
    const over = await writeVolumes(randomItems(src, [room + 1], 'o'), { out: workspace().out, volumeSize: VOLUME });
    expect(over.failed.map((f) => f.error.code)).toEqual(['MEDIA_ITEM_TOO_LARGE']);
    expect(statSync(exact.volumes[0]!.paths[0]!).size).toBe(VOLUME);
  });

  it('refuses a file larger than a volume with a typed error and writes the others', async () => {
    const { src, out } = workspace();
    const items = randomItems(src, [1000, VOLUME + 1, 2000]);
    const report = await writeVolumes(items, { out, volumeSize: VOLUME });
    expect(report.items.map((i) => [i.member, i.serial])).toEqual([
      [items[0]!.member, 1],
      [items[2]!.member, 2],
    ]);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]!.error.code).toBe('MEDIA_ITEM_TOO_LARGE');
    expect(report.failed[0]!.error.message).toContain(items[1]!.path);
  });

  it('cuts off a file whose bytes do not match the expected SHA-256, and carries on', async () => {
    const { src, out } = workspace();
    const items = randomItems(src, [3000, 4000, 5000]);
    writeFileSync(items[1]!.path, Buffer.alloc(4000, 1));
    const report = await writeVolumes([...items, { member: 'missing.fits', path: join(src, 'nope') }, { member: '../evil', path: items[0]!.path }], {
      out,
      volumeSize: VOLUME,
    });
    expect(report.items.map((i) => [i.member, i.serial])).toEqual([
      [items[0]!.member, 1],
      [items[2]!.member, 2],
    ]);
    expect(report.failed.map((f) => f.error.code)).toEqual(['DIGEST_MISMATCH', 'FILE_NOT_FOUND', 'UNSAFE_DESTINATION']);
    const volume = await readVolume(report.volumes[0]!.paths[0]!);
    expect(volume.index.members.map((m) => m.name)).toEqual([items[0]!.member, items[2]!.member]);
    expect(systemTar('tar', ['-tf', report.volumes[0]!.paths[0]!]).split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('names the bad option', async () => {
    await expect(writeVolumes([], { out: '/nonexistent-dir', volumeSize: '1M' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(writeVolumes([], { out: '/tmp', volumeSize: 'big' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(writeVolumes([], { out: ['/tmp', '/tmp', '/tmp'], volumeSize: '1M', copies: 2 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
