/**
 * Include/exclude globs of the filesystem triggers, compiled once. Internal to src/adapters/triggers.
 *
 * @module
 */
import { basename, relative, sep } from 'node:path';
import { globToRegExp } from '../../core/instruments/path-filter.js';

/** Decides which paths below the watched roots are files to announce and directories to descend into. */
export interface FileFilter {
  /** True when a file at `path` should be announced. */
  acceptsFile(path: string): boolean;
  /** True when a directory at `path` should be entered (it does not match an exclude pattern). */
  acceptsDirectory(path: string): boolean;
}

/** Compiles a glob the way {@link createFileFilter} uses it; throws an Error when it is malformed. */
export function compileGlob(glob: string, caseSensitive: boolean): RegExp {
  const re = globToRegExp(glob);
  return caseSensitive ? re : new RegExp(re.source, 'i');
}

/**
 * A glob without `/` is matched against the base name; a glob with `/` against the path relative to the watched
 * root that contains it (with `/` separators). A root itself is never excluded.
 */
export function createFileFilter(options: {
  roots: readonly string[];
  include: readonly string[];
  exclude: readonly string[];
  caseSensitive: boolean;
}): FileFilter {
  const compile = (globs: readonly string[]) =>
    globs.map((glob) => ({ re: compileGlob(glob, options.caseSensitive), whole: glob.includes('/') }));
  const include = compile(options.include);
  const exclude = compile(options.exclude);
  const roots = new Set(options.roots);

  const relativeToRoot = (path: string): string | undefined => {
    for (const root of options.roots) {
      const rel = relative(root, path);
      if (rel !== '' && !rel.startsWith('..')) return rel.split(sep).join('/');
    }
    return undefined;
  };
  const matchesAny = (patterns: typeof include, path: string): boolean => {
    const rel = relativeToRoot(path);
    const name = basename(path);
    return patterns.some(({ re, whole }) => (whole ? rel !== undefined && re.test(rel) : re.test(name)));
  };

  return {
    acceptsFile: (path) => !roots.has(path) && !matchesAny(exclude, path) && matchesAny(include, path),
    acceptsDirectory: (path) => roots.has(path) || !matchesAny(exclude, path),
  };
}
