/** `--scrub-rate` of watch/serve: the scrub beside a running ingestor re-verifies copies and stops when asked. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { createFilesystemTransport } from '../../src/adapters/transports/filesystem.js';
import { startBackgroundScrub } from '../../src/cli/_background-scrub.js';
import { builtinInstruments, createIngestor } from '../../src/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { monitorSnapshot } from '../../src/adapters/http/pages/_data.js';

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'fits-bg-scrub-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('background scrub', () => {
  it('verifies the copies while the ingestor runs and stops at once; a bad rate is refused', async () => {
    const archive = join(dir, 'archive');
    mkdirSync(archive);
    mkdirSync(join(dir, 'in'));
    const ingestor = createIngestor({
      instruments: builtinInstruments(),
      catalog: createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...builtinInstruments()] }),
      transports: [createFilesystemTransport({ root: archive })],
      staging: join(archive, '.staging'),
      tickMs: 10,
    });
    await ingestor.start();
    const ingest = async (n: number) => {
      const options = { time: new Date(Date.UTC(2026, 10, 23, 3, 0, 0) + n * 61_000), frameNumber: n, axes: [32, 32] as [number, number] };
      const path = join(dir, 'in', frameName(options));
      writeFileSync(path, makeFrame(options));
      const { record } = await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
      return (await ingestor.settled([record.id]))[0]!;
    };
    for (const n of [1, 2, 3]) expect((await ingest(n)).state).toBe('ARCHIVED');
    // The operator page's data: no scrub has run in this archive yet.
    const admin = { site: 'ops', scopes: new Set(['read', 'admin']) as never, instruments: '*' as const };
    const snapshot = () => monitorSnapshot(ingestor.catalog, admin, Date.now(), { archiveRoot: archive, stuckAfterMs: 60_000 });
    expect((await snapshot()).scrub).toBeNull();
    const stderr: string[] = [];
    const started = Date.now();
    const background = await startBackgroundScrub(ingestor, archive, '10MB/s', { stdout: { write: () => true }, stderr: { write: (s: string) => stderr.push(s) } }, 'watch');
    expect(background).toBeDefined();
    for (const n of [4, 5]) expect((await ingest(n)).state).toBe('ARCHIVED');
    const deadline = Date.now() + 5000;
    let verified = 0;
    while (Date.now() < deadline) {
      const files = await ingestor.catalog.findArchived({});
      verified = files.filter((f) => f.locations.every((l) => l.verifiedAt >= started)).length;
      if (verified >= 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(verified).toBeGreaterThanOrEqual(3);
    // Its progress (the cursor it saves at the end of a pass and every 2 s) shows on the operator page.
    let progress = (await snapshot()).scrub;
    for (let i = 0; i < 300 && !progress; i++) {
      await new Promise((r) => setTimeout(r, 50));
      progress = (await snapshot()).scrub;
    }
    expect(progress).toMatchObject({ pass: expect.any(Number), after: expect.any(String) });
    expect(progress!.savedAt).toBeGreaterThanOrEqual(started);
    const stopping = Date.now();
    await background!.stop();
    expect(Date.now() - stopping).toBeLessThan(2000);
    expect(stderr).toEqual([]);
    await ingestor.stop();
    await ingestor.catalog.close();
    await expect(startBackgroundScrub(ingestor, archive, 'quickly', { stdout: process.stdout, stderr: process.stderr }, 'watch')).rejects.toThrow(/scrub-rate/);
  });
});
