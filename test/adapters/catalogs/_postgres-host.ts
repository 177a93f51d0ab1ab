/**
 * One ingest "host" on a PostgreSQL catalog for the multi-host tests: an engine with a filesystem transport whose
 * transfers can be slowed down (a long step), used in the test process and, through `_postgres-host-child.ts`, in
 * child processes that are killed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPostgresCatalog, type PostgresCatalogOptions } from '../../../src/adapters/catalogs/postgres.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import type { Transport } from '../../../src/core/ports/transport.js';
import type { Ingestor } from '../../../src/core/runtime/engine.js';
import { builtinInstruments } from '../../../src/instruments/builtin/index.js';
import { createIngestor } from '../../../src/ingestor.js';
import { frameName, makeFrame } from '../../../src/simulator/frames.js';

export interface HostOptions {
  url: string;
  archive: string;
  owner: string;
  /** Each transfer first waits this long (a step longer than the lease). */
  transferDelayMs?: number;
  claimIntervalMs?: number;
  concurrency?: number;
  catalog?: Omit<PostgresCatalogOptions, 'connectionString' | 'instruments'>;
}

/** Writes `count` small KCWI frames numbered from `first` into `dir`; returns their paths. */
export function writeFrames(dir: string, first: number, count: number): string[] {
  const start = Date.UTC(2026, 10, 20, 6, 0, 0);
  return Array.from({ length: count }, (_, i) => {
    const n = first + i;
    const options = { time: new Date(start + n * 61_000), frameNumber: n, axes: [16, 16] as [number, number] };
    const path = join(dir, frameName(options));
    writeFileSync(path, makeFrame(options));
    return path;
  });
}

/** An engine (not started) of one host. */
export function createHost(options: HostOptions): Ingestor {
  const instruments = builtinInstruments();
  const fs = createFilesystemTransport({ root: options.archive });
  const delay = options.transferDelayMs ?? 0;
  const transport: Transport =
    delay > 0
      ? {
          ...fs,
          name: fs.name,
          transfer: async (request, signal) => {
            await new Promise((resolve) => setTimeout(resolve, delay));
            return fs.transfer(request, signal);
          },
        }
      : fs;
  return createIngestor({
    instruments,
    catalog: createPostgresCatalog({ connectionString: options.url, instruments: [...instruments], ...options.catalog }),
    transports: [transport],
    staging: join(options.archive, '.staging', options.owner),
    owner: options.owner,
    concurrency: options.concurrency ?? 4,
    claimIntervalMs: options.claimIntervalMs ?? 200,
    tickMs: 20,
    retry: { maxAttempts: 30, baseDelayMs: 50, maxDelayMs: 500 },
  });
}

/** Submits `paths` (complete files) and returns their record ids. */
export async function submitAll(host: Ingestor, paths: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const path of paths) ids.push((await host.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
  return ids;
}
