/**
 * Duplicate suppression for the filesystem triggers: the identity (inode, size, mtime) last announced per path,
 * bounded in size (least recently announced paths are forgotten first). Internal to src/adapters/triggers.
 *
 * @module
 */
import type { Stats } from 'node:fs';

/** What makes two sightings of a path the same file: same inode, size and mtime. */
export function fileIdentity(stats: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

/** A bounded map path → identity last announced. */
export class SeenFiles {
  readonly #limit: number;
  readonly #identities = new Map<string, string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Records `identity` for `path` and returns true when it differs from the one last recorded (a new file, a
   * change, or a replacement); false for a repeat.
   */
  record(path: string, identity: string): boolean {
    const previous = this.#identities.get(path);
    this.#identities.delete(path);
    this.#identities.set(path, identity);
    if (previous === identity) return false;
    if (this.#identities.size > this.#limit) {
      const oldest = this.#identities.keys().next().value;
      if (oldest !== undefined) this.#identities.delete(oldest);
    }
    return true;
  }

  /** Forgets `path`, so its next sighting is announced whatever its identity. */
  forget(path: string): void {
    this.#identities.delete(path);
  }
}
