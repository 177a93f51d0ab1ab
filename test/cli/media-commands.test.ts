/** `fits-ingest media write|verify|index|restore` on a real archive made by `fits-ingest ingest`. */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { cli } from '../helpers/cli.js';
import { ingestedArchive } from '../helpers/frames.js';

const T = Date.UTC(2026, 10, 20, 6, 0, 0);
let dir: string;
let archive: string;
let vols: string;
const catalogSpec = () => `sqlite:${join(archive, 'catalog.sqlite')}`;
const volumes = (copy: number) => readdirSync(vols).filter((n) => n.endsWith(`.c${copy}.tar`)).sort().map((n) => join(vols, n));
interface Row { archiveId: string; sha256: string; size: number; locations: { uri: string; transport: string; medium?: { volume: string; copy: number; member: number; offset: number; serial: number } }[] }
const rows = async (spec = catalogSpec()): Promise<Row[]> => (await cli('catalog', 'query', '--catalog', spec, '--json')).lines.map((l) => JSON.parse(l) as Row);

beforeAll(async () => {
  ({ dir, archive, vols } = await ingestedArchive('fits-cli-media-', 6, T));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fits-ingest media', () => {
  it('has --help on every command', async () => {
    for (const sub of ['write', 'verify', 'index', 'restore']) {
      const r = await cli('media', sub, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`media ${sub}`);
    }
  });

  it('write: every archived file onto volumes in two copies, each copy recorded in the catalog; a second run writes nothing', async () => {
    const r = await cli('media', 'write', '--catalog', catalogSpec(), '--out', vols, '--volume-size', '48K', '--copies', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.lines.at(-1)!);
    expect(summary).toMatchObject({ written: 6, failed: 0, nextSerial: 7 });
    expect(volumes(1).length).toBeGreaterThan(1);
    expect(volumes(2).length).toBe(volumes(1).length);
    const files = await rows();
    expect(files).toHaveLength(6);
    const serials = files.flatMap((f) => f.locations.filter((l) => l.medium?.copy === 1).map((l) => l.medium!.serial)).sort((a, b) => a - b);
    expect(serials).toEqual([1, 2, 3, 4, 5, 6]);
    for (const f of files) {
      const copies = f.locations.filter((l) => l.transport === 'media');
      expect(copies.map((l) => l.medium!.copy).sort()).toEqual([1, 2]);
      for (const l of copies) {
        const volume = readFileSync(l.uri.split('#')[0]!);
        expect(createHash('sha256').update(volume.subarray(l.medium!.offset, l.medium!.offset + f.size)).digest('hex')).toBe(f.sha256);
      }
    }
    const again = await cli('media', 'write', '--catalog', catalogSpec(), '--out', vols, '--volume-size', '48K', '--json');
    expect(JSON.parse(again.lines.at(-1)!)).toMatchObject({ written: 0, alreadyOnMedia: 6 });
  });

  it('verify: passes against the catalog, then names the volume, member, serial and offset of a corrupted member', async () => {
    const ok = await cli('media', 'verify', ...volumes(1), ...volumes(2), '--catalog', catalogSpec());
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^OK: 12 members/);
    const victim = (await rows())[2]!;
    const placement = victim.locations.find((l) => l.medium?.copy === 1)!;
    const path = placement.uri.split('#')[0]!;
    const bytes = readFileSync(path);
    const at = placement.medium!.offset + 2880 + 100; // inside the data unit
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(path, bytes);
    const bad = await cli('media', 'verify', ...volumes(1), '--catalog', catalogSpec(), '--json');
    expect(bad.code).toBe(1);
    const failure = JSON.parse(bad.lines[0]!).error;
    expect(failure.code).toBe('MEDIA_MEMBER_CORRUPT');
    expect(failure.context).toMatchObject({ file: path, member: placement.medium!.member, serial: placement.medium!.serial, hdu: 0 });
    expect(failure.context.offset).toBeGreaterThanOrEqual(placement.medium!.offset);
    expect(failure.message).toContain(`serial ${placement.medium!.serial}`);
    // Without a catalog the volume's own index is the reference, and says the same.
    expect((await cli('media', 'verify', path)).code).toBe(1);
  });

  it('restore: byte-identical files, taking the intact copy when one copy is damaged', async () => {
    const to = join(dir, 'restored');
    const r = await cli('media', 'restore', '--from', ...volumes(1), ...volumes(2), '--to', to, '--json');
    expect(r.code, r.stderr).toBe(0);
    const restored = r.lines.map((l) => JSON.parse(l) as { path: string; archiveId: string; volume: string });
    expect(restored).toHaveLength(6);
    const files = await rows();
    for (const f of files) {
      const got = restored.find((x) => x.archiveId === f.archiveId)!;
      const original = f.locations.find((l) => l.transport !== 'media')!.uri;
      expect(readFileSync(got.path).equals(readFileSync(original))).toBe(true);
    }
    expect(restored.filter((x) => x.volume.endsWith('.c2.tar'))).toHaveLength(1);
    const one = await cli('media', 'restore', '--from', ...volumes(2), '--to', join(dir, 'one'), '--serial', '4', '--json');
    expect(one.lines.map((l) => JSON.parse(l).serial)).toEqual([4]);
  });

  it('index: a deleted catalog is rebuilt from the volumes alone, and verify --catalog passes against it', async () => {
    const before = await rows();
    const rebuilt = `sqlite:${join(dir, 'rebuilt', 'catalog.sqlite')}`;
    const r = await cli('media', 'index', ...volumes(2), ...volumes(1), '--catalog', rebuilt, '--json');
    // The damaged member of copy 1 is refused; copy 2 gave the file already.
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.lines.at(-1)!);
    expect(summary.restored).toHaveLength(6);
    expect(summary.located).toBe(11);
    const after = await rows(rebuilt);
    expect(after.map((f) => [f.archiveId, f.sha256, f.size])).toEqual(before.map((f) => [f.archiveId, f.sha256, f.size]));
    const full = await cli('catalog', 'query', '--catalog', rebuilt, '--instrument', 'KCWI', '--where', `koaid = ${before[0]!.archiveId}.fits`, '--json');
    expect(full.lines, full.stderr).toHaveLength(1);
    const catalog = createSqliteCatalog({ path: join(dir, 'rebuilt', 'catalog.sqlite') });
    await catalog.init();
    const file = (await catalog.getArchived(before[0]!.archiveId))!;
    expect((await catalog.history(file.recordId)).map((e) => [e.from, e.to, e.cause])).toEqual([[null, 'ARCHIVED', 'RESTORED_FROM_MEDIA']]);
    await catalog.close();
    const verify = await cli('media', 'verify', ...volumes(2), '--catalog', rebuilt);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('usage errors exit 2 with a clear message', async () => {
    const r = await cli('media', 'write', '--catalog', catalogSpec(), '--out', join(dir, 'nowhere'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('output directory does not exist');
    expect((await cli('media', 'restore', '--from', 'x.tar', '--to', dir, '--serial', 'abc')).code).toBe(2);
  });
});
