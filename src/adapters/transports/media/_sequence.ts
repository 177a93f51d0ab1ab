/**
 * Where a run continues: the complete volumes already in the output directories give the last volume number and
 * the last serial; partial volumes (`.tar.partial`, left by an interrupted run) are listed so the run can replace
 * them. Internal to src/adapters/transports/media.
 *
 * @module
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError, toIngestError } from '../../../core/errors.js';
import { PARTIAL_SUFFIX } from './_volume-set.js';
import { readVolume } from './read-volume.js';

/** The label of volume number `volume`: the prefix and six digits. */
export const volumeLabel = (prefix: string, volume: number): string => `${prefix}${String(volume).padStart(6, '0')}`;

/** Where the sequence stands. */
export interface SequenceState {
  /** Number of the next volume. */
  nextVolume: number;
  /** Serial of the next object. */
  nextSerial: number;
  /** Partial volumes found (and removed) because the run re-writes them. */
  discarded: string[];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The complete volumes of the highest number of the prefix in `dirs` (every copy found), and the partial volumes. */
export async function scanVolumes(dirs: readonly string[], prefix: string): Promise<{ last?: { volume: number; paths: string[] }; partials: string[] }> {
  const pattern = new RegExp(`^${escape(prefix)}(\\d{6})\\.c(\\d+)\\.tar(${escape(PARTIAL_SUFFIX)})?$`);
  let last: { volume: number; paths: string[] } | undefined;
  const partials: string[] = [];
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw toIngestError(error, { file: dir });
    }
    for (const name of names.sort()) {
      const m = pattern.exec(name);
      if (!m) continue;
      const volume = Number(m[1]);
      if (m[3]) partials.push(join(dir, name));
      else if (!last || volume > last.volume) last = { volume, paths: [join(dir, name)] };
      else if (volume === last.volume) last.paths.push(join(dir, name));
    }
  }
  return last ? { last, partials } : { partials };
}

/**
 * Reads the highest complete volume of the prefix in `dirs` (any copy) and removes partial volumes of the prefix:
 * an interrupted run's partial volume is re-written under the same label by this run.
 */
export async function continueSequence(dirs: readonly string[], prefix: string): Promise<SequenceState> {
  const { last, partials } = await scanVolumes(dirs, prefix);
  const best = last && { volume: last.volume, path: last.paths[0]! };
  let state: SequenceState = { nextVolume: 1, nextSerial: 1, discarded: [] };
  if (best) {
    const { index } = await readVolume(best.path).catch((error: unknown) => {
      throw new IngestError('MEDIA_BAD_INDEX', `cannot continue the sequence: the last volume ${best.path} cannot be read`, {
        context: { file: best.path },
        cause: error,
        hint: 'repair or remove the damaged volume copy (another copy may be intact), or pass the next serial explicitly',
      });
    });
    state = { nextVolume: index.volume + 1, nextSerial: index.lastSerial + 1, discarded: [] };
  }
  for (const path of partials) {
    await rm(path, { force: true });
    state.discarded.push(path);
  }
  return state;
}
