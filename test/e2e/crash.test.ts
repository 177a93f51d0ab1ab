/**
 * Crash safety: the ingesting process is killed with SIGKILL at random moments, over and over, and restarted.
 * In the end every file is ARCHIVED exactly once, nothing is lost or doubled, originals are untouched, and no
 * temp or staged file remains.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { builtinInstruments, verifyFile } from '../../src/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { listAll, sha } from './_tree.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const worker = new URL('./crash-worker.mjs', import.meta.url).pathname;

/**
 * Runs the worker; kills it `killAfterMs` after it reports having started (so kills land while it works),
 * unless it finishes first. Resolves to how it ended.
 */
function run(args: string[], killAfterMs?: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      if (killAfterMs !== undefined && timer === undefined && d.toString().includes('started')) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe('crash safety', () => {
  it('archives every file exactly once across many SIGKILLs at random moments', async () => {
    const incoming = join(dir, 'incoming');
    const archive = join(dir, 'archive');
    const staging = join(archive, '.staging');
    mkdirSync(incoming);
    mkdirSync(archive);
    const start = Date.UTC(2026, 10, 20, 6, 0, 0);
    const originals = new Map<string, string>();
    const random = (() => {
      let s = 12345;
      return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    })();
    let kills = 0;
    let n = 0;
    // Batches of new files arrive; each batch is ingested by processes killed at random moments until one of
    // them gets to the end.
    for (let batch = 0; batch < 4; batch++) {
      for (let k = 0; k < 24; k++) {
        n++;
        const options = { time: new Date(start + n * 73_210), frameNumber: n, axes: [400, 400] as [number, number], extensions: n % 4 === 0 ? 2 : 0 };
        const bytes = makeFrame(options);
        writeFileSync(join(incoming, frameName(options)), bytes);
        originals.set(frameName(options), sha(bytes));
      }
      // Kill rounds go on until four kills have landed in this batch (at most 12 rounds): on a fast machine a run
      // may finish before its kill, and a run over a finished batch is still a crash moment worth trying
      // (recovery, lookups). Then one run that is not killed must finish cleanly.
      let batchKills = 0;
      for (let round = 0; round < 12 && batchKills < 4; round++) {
        const result = await run([incoming, archive, staging], Math.floor(random() * 150));
        if (result.signal === 'SIGKILL') batchKills++;
        else expect(result.code, result.stderr).toBe(0);
      }
      kills += batchKills;
      const last = await run([incoming, archive, staging]);
      expect(last.code, last.stderr).toBe(0);
    }
    expect(kills).toBeGreaterThanOrEqual(12);

    // Every file ARCHIVED exactly once, one catalog row per archived file, archive tree and catalog one to one.
    const instruments = builtinInstruments();
    const catalog = createSqliteCatalog({ path: join(archive, 'catalog.sqlite'), instruments: [...instruments] });
    await catalog.init();
    const counts = await catalog.counts();
    expect(counts.ARCHIVED).toBe(originals.size);
    const nonFinal = Object.entries(counts).filter(([state, n]) => n > 0 && !['ARCHIVED'].includes(state));
    expect(nonFinal).toEqual([]);
    const archived = await catalog.findArchived({ limit: 1000 });
    expect(archived.map((f) => f.originalName).sort()).toEqual([...originals.keys()].sort());
    const fitsFiles = listAll(archive).filter((f) => f.endsWith('.fits'));
    expect(fitsFiles.sort()).toEqual(archived.map((f) => f.locations[0]!.uri).sort());
    for (const file of archived) {
      const bytes = readFileSync(file.locations[0]!.uri);
      expect(sha(bytes)).toBe(file.sha256);
      expect((await verifyFile(file.locations[0]!.uri)).ok).toBe(true);
    }
    await catalog.close();

    // Nothing left over: no temp files, no staged copies, no journals; manifests check out with sha256sum.
    const leftovers = listAll(archive).filter((f) => /\.tmp($|-)|\.part$|journal/.test(f) || f.startsWith(staging));
    expect(leftovers).toEqual([]);
    const manifest = join(archive, 'KCWI', '20261120', 'MANIFEST.sha256');
    expect(existsSync(manifest)).toBe(true);
    expect(readFileSync(manifest, 'utf8').trim().split('\n')).toHaveLength(originals.size);
    execFileSync('sha256sum', ['--strict', '-c', 'MANIFEST.sha256'], { cwd: join(archive, 'KCWI', '20261120'), stdio: 'ignore' });

    // The instrument's originals are untouched.
    for (const [name, digest] of originals) expect(sha(readFileSync(join(incoming, name)))).toBe(digest);
  }, 180_000);
});
