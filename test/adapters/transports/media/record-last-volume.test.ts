/**
 * The crash window of `media write` (a volume complete on disk, its locations not yet in the catalog) is closed at
 * the next start: the last volume's index is recorded, and nothing is written twice.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../../src/adapters/catalogs/sqlite.js';
import { archivedItem, recordLastVolume, writeVolumes, type MediaItem } from '../../../../src/adapters/transports/media/index.js';
import { cli } from '../../../helpers/cli.js';
import { ingestedArchive } from '../../../helpers/frames.js';

let dir: string;
let archive: string;
let vols: string;
beforeAll(async () => void ({ dir, archive, vols } = await ingestedArchive('fits-media-last-', 4, Date.UTC(2026, 10, 24, 2, 0, 0))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recordLastVolume', () => {
  it('records the locations of a volume completed before a crash, so media write does not write its files again', async () => {
    const catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite') });
    await catalog.init();
    const files = await catalog.findArchived({});
    // The volume is written and renamed, but the run "dies" before adding the locations (no catalog given).
    const written = await writeVolumes(files.map((f) => archivedItem(f)!) as MediaItem[], { out: vols, volumeSize: '1M', copies: 2 });
    expect(written.volumes).toHaveLength(1);
    expect((await catalog.findArchived({})).every((f) => f.locations.length === 1)).toBe(true);
    await catalog.close();

    const r = await cli('media', 'write', '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`, '--out', vols, '--copies', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('8 locations');
    expect(JSON.parse(r.lines.at(-1)!)).toMatchObject({ written: 0, alreadyOnMedia: 4, nextSerial: 5 });
    expect(readdirSync(vols).filter((n) => n.endsWith('.tar')).sort()).toEqual(['FI000001.c1.tar', 'FI000001.c2.tar']);

    const again = createSqliteCatalog({ path: join(archive, 'catalog.sqlite') });
    await again.init();
    for (const f of await again.findArchived({})) {
      const media = f.locations.filter((l) => l.transport === 'media');
      expect(media.map((l) => l.medium!.copy).sort()).toEqual([1, 2]);
      expect(media.every((l) => l.medium!.volume === 'FI000001')).toBe(true);
    }
    // Idempotent: a second pass records nothing.
    expect((await recordLastVolume(vols, { catalog: again })).recorded).toBe(0);
    await again.close();
    const verify = await cli('media', 'verify', join(vols, 'FI000001.c1.tar'), join(vols, 'FI000001.c2.tar'), '--catalog', `sqlite:${join(archive, 'catalog.sqlite')}`);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
