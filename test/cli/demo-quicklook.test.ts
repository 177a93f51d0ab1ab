/** `fits-ingest demo` runs quick-look on its science frames with the example pipeline, closes the night, reports latencies. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { builtinInstruments } from '../../src/instruments/builtin/index.js';
import { cli } from '../helpers/cli.js';

describe('fits-ingest demo: quick-look on arrival and the close of the night', () => {
  it('gives each science frame one level-1 product, closes the night with one level-2 batch, and prints the latencies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fits-ingest-demo-ql-'));
    const { code, lines, stderr } = await cli('demo', '--files', '14', '--duration', '2', '--size', '64', '--dir', dir, '--json');
    expect(stderr).toBe('');
    const summary = JSON.parse(lines.at(-1)!) as { event: string; surprises: unknown[]; quicklook: { frames: number; done: number; failed: unknown[]; latencyMs: Record<string, { p50: number; p99: number; count: number }>; pipelineMs: { p50: number }; nights: { state: string; products: number; failed: number }[] } };
    expect(summary).toMatchObject({ event: 'summary', surprises: [] });
    const q = summary.quicklook;
    expect(q.failed).toEqual([]);
    expect(code).toBe(0);
    const catalog = createSqliteCatalog({ path: join(dir, 'archive', 'catalog.sqlite'), instruments: [...builtinInstruments()] });
    await catalog.init();
    const science = (await catalog.findArchived({ level: 0, instrument: 'KCWI' })).filter((f) => f.imageType === 'object');
    const level1 = await catalog.findArchived({ level: 1 });
    const level2 = await catalog.findArchived({ level: 2 });
    await catalog.close();
    expect(science.length).toBeGreaterThan(2);
    expect(q.done).toBe(science.length);
    expect(level1.map((p) => p.parents[0]).sort()).toEqual(science.map((s) => s.archiveId).sort());
    expect(level2.map((p) => p.parents[0]).sort()).toEqual(science.map((s) => s.archiveId).sort());
    expect(q.nights).toEqual([expect.objectContaining({ state: 'CLOSED', products: science.length, failed: 0 })]);
    expect(q.latencyMs['quicklook']!.count).toBe(science.length);
    expect(q.latencyMs['quicklook']!.p50).toBeGreaterThanOrEqual(q.latencyMs['archived']!.p50);
    expect(q.pipelineMs.p50).toBeGreaterThan(0);
  }, 180_000);
});
