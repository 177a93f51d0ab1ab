/** Fixtures of the media tests: random files on disk, their SHA-256, and the system tars. */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaItem } from '../../../../src/adapters/transports/media/index.js';

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A new temp directory with `src/` and `out/`. */
export function workspace(): { dir: string; src: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fits-media-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'out'));
  return { dir, src: join(dir, 'src'), out: join(dir, 'out') };
}

/** Random files of the given sizes in `dir`, as media items with their digests. */
export function randomItems(dir: string, sizes: readonly number[], prefix = 'f'): (MediaItem & { bytes: Buffer })[] {
  return sizes.map((size, i) => {
    const name = `${prefix}${String(i).padStart(3, '0')}.bin`;
    const bytes = randomBytes(size);
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return { member: `data/${name}`, path, size, sha256: sha256(bytes), bytes };
  });
}

/** Runs a system tar (GNU `tar` or `bsdtar`) and returns stdout. */
export function systemTar(tar: 'tar' | 'bsdtar', args: string[], cwd?: string): string {
  return execFileSync(tar, args, { encoding: 'utf8', cwd, maxBuffer: 64 << 20 });
}
