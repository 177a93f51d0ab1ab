/** `fits-ingest demo --no-quicklook` ends its night by reprocessing program K123 through the example pipeline. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { builtinInstruments } from '../../src/instruments/builtin/index.js';
import { cli } from '../helpers/cli.js';

describe('fits-ingest demo: the end of the night', () => {
  it('reprocesses every K123 science frame into an archived level-2 product; every raw file still ends as expected', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fits-ingest-demo-rp-'));
    const { code, lines, stderr } = await cli('demo', '--files', '14', '--duration', '2', '--size', '64', '--dir', dir, '--json', '--no-quicklook');
    expect(stderr).toBe('');
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.at(-1)).toMatchObject({ event: 'summary', surprises: [] });
    const done = events.at(-1)!['reprocessed'] as { requests: number; done: number; products: string[]; calibrationSet: string };
    expect(done).toMatchObject({ calibrationSet: 'KCWI/imaging/v1', failed: [] });
    expect(code).toBe(0);
    const catalog = createSqliteCatalog({ path: join(dir, 'archive', 'catalog.sqlite'), instruments: [...builtinInstruments()] });
    await catalog.init();
    const science = (await catalog.findArchived({ program: 'K123', level: 0 })).filter((f) => f.imageType === 'object');
    const products = await catalog.findArchived({ level: 2 });
    await catalog.close();
    expect(science.length).toBeGreaterThan(2);
    expect(done.requests).toBe(science.length);
    expect(products.map((p) => p.parents[0]).sort()).toEqual(science.map((s) => s.archiveId).sort());
    expect(products.map((p) => p.archiveId).sort()).toEqual([...done.products].sort());
  }, 120_000);
});
