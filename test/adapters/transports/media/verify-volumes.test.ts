import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyVolumes, writeVolumes } from '../../../../src/adapters/transports/media/index.js';
import { randomItems, workspace } from './_media-fixtures.js';

describe('verifyVolumes', () => {
  it('finds serial gaps (a volume missing) and repeats (two sets numbered alike), copies counting once', async () => {
    const { src, out } = workspace();
    const report = await writeVolumes(randomItems(src, [20_000, 20_000, 20_000, 20_000]), { out, volumeSize: 48 * 1024, copies: 2 });
    const [v1, v2, v3] = report.volumes;
    expect(v3).toBeDefined();
    const all = await verifyVolumes(report.volumes.flatMap((v) => v.paths));
    expect(all).toMatchObject({ ok: true, gaps: [], repeats: [], checked: 8 });
    const missing = await verifyVolumes([v1!.paths[0]!, v3!.paths[1]!]);
    expect(missing.ok).toBe(false);
    expect(missing.gaps).toEqual([[v2!.firstSerial, v2!.lastSerial]]);
    expect(missing.failures.map((f) => f.code)).toEqual(['MEDIA_SEQUENCE']);
    const other = workspace();
    const again = await writeVolumes(randomItems(other.src, [100]), { out: other.out, volumeSize: 48 * 1024, labelPrefix: 'XX' });
    const repeated = await verifyVolumes([v1!.paths[0]!, again.volumes[0]!.paths[0]!]);
    expect(repeated.repeats).toEqual([{ serial: 1, volumes: [v1!.label, 'XX000001'] }]);
  });

  it('names a damaged index, and a volume cut short, by file and offset; the other volumes are still checked', async () => {
    const { src, out } = workspace();
    const report = await writeVolumes(randomItems(src, [20_000, 20_000, 20_000]), { out, volumeSize: 48 * 1024 });
    const [a, b] = report.volumes.map((v) => v.paths[0]!);
    const bytes = readFileSync(a!);
    writeFileSync(a!, bytes.subarray(0, bytes.length - 3000));
    const bad = await verifyVolumes([a!, b!]);
    expect(bad.failures[0]).toMatchObject({ code: 'TRUNCATED', context: { file: a } });
    expect(bad.failures[0]!.context.offset).toBeTypeOf('number');
    expect(bad.volumes.map((v) => v.path)).toEqual([b]);
  });
});
