/**
 * The per-night digest manifest of the filesystem transport, in `sha256sum -c` format: one line
 * `<sha256>  <path relative to the manifest's directory>` per archived file. Internal to src/adapters/transports.
 *
 * @module
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FlushCoalescer, syncDirectoryShared } from '../../io/durable-fs.js';
import { removeStaleTemps, writeFileAtomic } from '../_shared/files.js';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What this process knows of a manifest: its lines, valid while the file keeps the size it had then. */
interface Known {
  size: number;
  whole: boolean;
  lines: string[];
  set: Set<string>;
}

/**
 * The manifests one transport writes. Lines are kept in memory (re-read only when the file's size says another
 * process wrote to it), so appending the n-th file of a night does not read the n−1 lines before it; flushes of one
 * manifest are shared between concurrent transfers.
 */
export class Manifests {
  readonly #known = new Map<string, Known>();
  readonly #flushes = new FlushCoalescer();

  async #load(path: string): Promise<Known> {
    const size = (await stat(path).catch(() => undefined))?.size ?? -1;
    const cached = this.#known.get(path);
    if (cached && cached.size === size) return cached;
    const content = (await readIfExists(path)) ?? '';
    const lines = content.split('\n');
    lines.pop(); // '' after the last newline, or a partial last line
    const known = { size: Buffer.byteLength(content), whole: content === '' || content.endsWith('\n'), lines, set: new Set(lines) };
    this.#known.set(path, known);
    return known;
  }

  /**
   * Records `entry` with digest `sha256` in the manifest `dir`/`base`. Idempotent: a line already there is not
   * written again. A new line is appended with O_APPEND (one write; flush with {@link flush}); when the entry is
   * listed with another digest (a replaced file) or the manifest ends in a partial line (a crash mid-append), the
   * manifest is rewritten atomically (temp copy + rename) without the stale lines. Callers serialize calls per
   * manifest. Returns whether the file needs a flush.
   */
  async record(dir: string, base: string, entry: string, sha256: string, fsync: boolean): Promise<boolean> {
    const wanted = `${sha256}  ${entry}`;
    const path = join(dir, base);
    const known = await this.#load(path);
    if (known.whole && known.set.has(wanted)) return false;
    const kept = known.lines.filter((line) => !line.endsWith(`  ${entry}`));
    if (known.whole && kept.length === known.lines.length) {
      const created = known.size < 0 || (known.size === 0 && known.lines.length === 0);
      const handle = await open(path, 'a', 0o644);
      try {
        await handle.write(`${wanted}\n`);
      } finally {
        await handle.close();
      }
      known.size = Math.max(known.size, 0) + Buffer.byteLength(`${wanted}\n`);
      known.lines.push(wanted);
      known.set.add(wanted);
      if (fsync && created) await syncDirectoryShared(dir);
      return fsync;
    }
    await removeStaleTemps(dir, base);
    const lines = [...kept, wanted];
    const content = lines.map((line) => `${line}\n`).join('');
    await writeFileAtomic(dir, base, content, fsync);
    this.#known.set(path, { size: Buffer.byteLength(content), whole: true, lines, set: new Set(lines) });
    return false;
  }

  /**
   * Removes the line `<sha256>  <entry>` from the manifest `dir`/`base` (atomically rewritten), if it is there.
   * Callers serialize calls per manifest.
   */
  async drop(dir: string, base: string, entry: string, sha256: string, fsync: boolean): Promise<void> {
    const path = join(dir, base);
    if ((await readIfExists(path)) === undefined) return;
    const known = await this.#load(path);
    const lines = known.lines.filter((line) => line !== `${sha256}  ${entry}`);
    if (lines.length === known.lines.length && known.whole) return;
    await removeStaleTemps(dir, base);
    const content = lines.map((line) => `${line}\n`).join('');
    await writeFileAtomic(dir, base, content, fsync);
    this.#known.set(path, { size: Buffer.byteLength(content), whole: true, lines, set: new Set(lines) });
  }

  /** Flushes a manifest to stable storage, sharing the flush with concurrent callers. */
  flush(path: string): Promise<void> {
    return this.#flushes.flush(path, async () => {
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }
}
