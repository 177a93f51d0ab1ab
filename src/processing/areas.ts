/**
 * Processing areas: named work directories (each may sit on its own disk) where one job at a time runs. An area is
 * emptied before and after each job, and at start-up (a crash may have left a job's files behind). Node I/O.
 *
 * @module
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IngestError } from '../core/errors.js';
import { PROCESS_GROUP_FILE } from '../core/ports/processor.js';

/** One processing area. */
export interface ProcessingArea {
  name: string;
  /** Absolute work directory. */
  dir: string;
}

/** Areas from names and directories; names and directories must be distinct. */
export function processingAreas(specs: readonly { name: string; dir: string }[]): ProcessingArea[] {
  if (specs.length === 0) throw new IngestError('INVALID_OPTIONS', 'at least one processing area is needed', { context: { field: 'areas' } });
  const areas = specs.map((s) => ({ name: s.name, dir: resolve(s.dir) }));
  for (const key of ['name', 'dir'] as const) {
    const seen = new Set<string>();
    for (const a of areas) {
      if (seen.has(a[key])) throw new IngestError('INVALID_OPTIONS', `two processing areas share the ${key} ${a[key]}`, { context: { field: `areas.${key}` } });
      seen.add(a[key]);
    }
  }
  return areas;
}

/** `count` areas named `<prefix>1`… (default area-1…) in folders of those names under `root`. */
export function areasUnder(root: string, count: number, prefix = 'area-'): ProcessingArea[] {
  return processingAreas(Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i + 1}`, dir: join(root, `${prefix}${i + 1}`) })));
}


/** Kills the process group a crashed scheduler's job left running in the area, if any. */
async function reap(area: ProcessingArea): Promise<void> {
  const pgid = Number((await readFile(join(area.dir, PROCESS_GROUP_FILE), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * Empties the area (everything a job or a crashed job left, after killing a pipeline still running there) and
 * creates its `out/` folder.
 */
export async function cleanArea(area: ProcessingArea): Promise<string> {
  await mkdir(area.dir, { recursive: true });
  await reap(area);
  for (const entry of await readdir(area.dir)) await rm(join(area.dir, entry), { recursive: true, force: true });
  const out = join(area.dir, 'out');
  await mkdir(out);
  return out;
}

/** Marks the area busy with a request (what an operator sees in the directory after a crash). */
export async function markArea(area: ProcessingArea, requestId: string): Promise<void> {
  await writeFile(join(area.dir, '.request'), `${requestId}\n`);
}
