/**
 * Data roots of the triggers that are told paths (keyword monitor, mail): an announced path is accepted only when it
 * is absolute and lies under a root both as written (no `..` escape) and once symbolic links are resolved.
 *
 * @module
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** Checks announced paths against data roots. */
export class DataRoots {
  readonly #roots: readonly string[];

  constructor(roots: readonly string[]) {
    this.#roots = roots.map((root) => resolve(root));
  }

  get roots(): readonly string[] {
    return this.#roots;
  }

  /** Why `path` is refused as written (not absolute, `..`, outside every root), or undefined when it is fine. */
  refuseAsWritten(path: string): string | undefined {
    if (!isAbsolute(path)) return 'the path is not absolute';
    if (path.split(/[\\/]/).includes('..')) return 'the path contains ".."';
    if (!this.#roots.some((root) => inside(root, resolve(path)))) return `the path is outside the data roots (${this.#roots.join(', ')})`;
    return undefined;
  }

  /** Why the existing file at `path` is refused once symbolic links are resolved, or undefined. */
  async refuseReal(path: string): Promise<string | undefined> {
    const real = await realOrSelf(path);
    for (const root of this.#roots) {
      if (inside(await realOrSelf(root), real)) return undefined;
    }
    return `the path resolves to ${real}, outside the data roots`;
  }
}
