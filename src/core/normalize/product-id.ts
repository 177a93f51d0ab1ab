/**
 * The archive id of a product that names no id of its own: its first raw parent's id and its own file-name stem,
 * e.g. `KB.20261203.12345.67_kb231203_0042_red`. The engine (a product ingested from a file) and the HTTP server
 * (a product pushed by a pipeline) both name products this way.
 *
 * @module
 */

/** A file-name stem safe inside an archive id: the FITS extension dropped, other characters than `A-Za-z0-9._-` → `_`. */
export function safeStem(name: string): string {
  return name.replace(/\.(fits?|fts)(\.fz|\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `PARENT_STEM`: the archive id of a product of `parent` whose file is called `name`. */
export function productArchiveId(parent: string, name: string): string {
  return `${parent}_${safeStem(name)}`;
}
