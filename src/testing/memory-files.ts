/**
 * An in-memory FileAccess port: files are Uint8Arrays in a map, with ways to make them misbehave the way disks
 * and instruments do — a short read, a file that changes while it is read, an error, an operation that hangs
 * until the test lets it go. With {@link createManualClock} it runs the whole engine without touching the disk.
 *
 * @example
 * ```ts
 * import { createManualClock, createMemoryFiles } from 'fits-ingest/testing';
 *
 * const clock = createManualClock();
 * const files = createMemoryFiles({ clock });
 * files.put('/incoming/a.fits', bytes);
 * files.fail('/incoming/a.fits', 'stat', new IngestError('IO_ERROR', 'EIO'), 2); // the next two stats fail
 * ```
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { IngestError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import type { FileAccess, FileStat, Hash, WritableFile } from '../core/ports/files.js';

/** Options of {@link createMemoryFiles}. */
export interface MemoryFilesOptions {
  /** Gives files their modification times. @default a counter that moves 1 ms per write */
  clock?: Pick<Clock, 'now'>;
  /** Size of the chunks `read` yields when the caller asks for none. @default 65536 */
  chunkSize?: number;
}

/** The operations faults can be injected into. */
export type MemoryFileOperation = 'stat' | 'read' | 'readRange' | 'create' | 'write' | 'sync' | 'rename' | 'remove' | 'list';

/** Something that happens when a reader of a file has read `afterBytes` bytes of it. */
export interface ReadFault {
  /** Bytes of the file a reader must have been given before the fault happens. @default 0 */
  afterBytes?: number;
  /** The read ends here, as if the file were shorter (a short read). */
  short?: boolean;
  /** Runs once, then the read goes on over the file as it is now (a file changed under the reader). */
  change?: (files: MemoryFiles) => void;
}

/** A FileAccess held in memory, with fault injection. */
export interface MemoryFiles extends FileAccess {
  /** Creates or replaces a file (its mtime: now). */
  put(path: string, bytes: Uint8Array, options?: { mtimeMs?: number }): void;
  /** Appends to a file (creating it), as an instrument writing in pieces. */
  append(path: string, bytes: Uint8Array): void;
  /** A copy of a file's bytes, or undefined. */
  get(path: string): Uint8Array | undefined;
  /** Every file's path, sorted. (There are no directories: `list(dir)` lists the paths under `dir/`.) */
  paths(): string[];
  /** The next `times` calls of `operation` on `path` (every path: `'*'`) throw `error`. */
  fail(path: string, operation: MemoryFileOperation, error: Error, times?: number): void;
  /** The next read (`read` or `readRange`) of `path` that reaches `fault.afterBytes` meets the fault. */
  onRead(path: string, fault: ReadFault): void;
  /**
   * Holds every later operation on `path` (every path: `'*'`) until the returned function is called, to keep
   * steps in flight while a test looks at the engine.
   */
  hold(path: string): () => void;
  /** Counts of the calls made, by operation. */
  readonly calls: Readonly<Record<MemoryFileOperation, number>>;
}

interface Entry {
  bytes: Uint8Array;
  mtimeMs: number;
  ino: number;
}

/** Creates an empty in-memory file system. */
export function createMemoryFiles(options: MemoryFilesOptions = {}): MemoryFiles {
  const entries = new Map<string, Entry>();
  const failures: { path: string; operation: MemoryFileOperation; error: Error; times: number }[] = [];
  const readFaults: { path: string; fault: ReadFault }[] = [];
  const holds: { path: string; released: Promise<void> }[] = [];
  const calls = Object.fromEntries((['stat', 'read', 'readRange', 'create', 'write', 'sync', 'rename', 'remove', 'list'] as const).map((o) => [o, 0])) as Record<MemoryFileOperation, number>;
  let tick = 0;
  let inodes = 0;
  const mtime = (): number => options.clock?.now() ?? ++tick;
  const chunkSize = options.chunkSize ?? 65_536;

  async function enter(path: string, operation: MemoryFileOperation): Promise<void> {
    calls[operation]++;
    for (const h of holds) if (h.path === path || h.path === '*') await h.released;
    const i = failures.findIndex((f) => (f.path === path || f.path === '*') && f.operation === operation);
    if (i < 0) return;
    const failure = failures[i]!;
    if (--failure.times <= 0) failures.splice(i, 1);
    throw failure.error;
  }

  /** The fault a read of `path` meets once `given` bytes were given, if any (it is used up). */
  function faultAt(path: string, given: number): ReadFault | undefined {
    const i = readFaults.findIndex((f) => f.path === path && (f.fault.afterBytes ?? 0) <= given);
    if (i < 0) return undefined;
    return readFaults.splice(i, 1)[0]!.fault;
  }

  const notFound = (path: string): IngestError => new IngestError('FILE_NOT_FOUND', `no file ${path} in memory`, { context: { file: path } });
  const write = (path: string, bytes: Uint8Array, mtimeMs = mtime()): void => {
    const old = entries.get(path);
    entries.set(path, { bytes, mtimeMs, ino: old?.ino ?? ++inodes });
  };

  const files: MemoryFiles = {
    calls,
    put: (path, bytes, o = {}) => write(path, bytes.slice(), o.mtimeMs),
    append(path, bytes) {
      const old = entries.get(path)?.bytes ?? new Uint8Array(0);
      const next = new Uint8Array(old.length + bytes.length);
      next.set(old);
      next.set(bytes, old.length);
      write(path, next);
    },
    get: (path) => entries.get(path)?.bytes.slice(),
    paths: () => [...entries.keys()].sort(),
    fail(path, operation, error, times = 1) {
      failures.push({ path, operation, error, times });
    },
    onRead(path, fault) {
      readFaults.push({ path, fault });
    },
    hold(path) {
      let release!: () => void;
      const entry = { path, released: new Promise<void>((done) => (release = done)) };
      holds.push(entry);
      return () => {
        holds.splice(holds.indexOf(entry), 1);
        release();
      };
    },

    async stat(path): Promise<FileStat | undefined> {
      await enter(path, 'stat');
      const e = entries.get(path);
      return e && { size: e.bytes.length, mtimeMs: e.mtimeMs, ino: e.ino };
    },
    async *read(path, o = {}) {
      await enter(path, 'read');
      let offset = o.start ?? 0;
      for (;;) {
        o.signal?.throwIfAborted();
        const e = entries.get(path);
        if (!e) throw notFound(path);
        const end = Math.min(o.end ?? e.bytes.length, e.bytes.length);
        if (offset >= end) return;
        const fault = faultAt(path, offset - (o.start ?? 0));
        if (fault?.short) return;
        if (fault?.change) {
          fault.change(files);
          continue;
        }
        const length = Math.min(o.chunkSize ?? chunkSize, end - offset);
        yield e.bytes.slice(offset, offset + length);
        offset += length;
      }
    },
    async readRange(path, offset, length) {
      await enter(path, 'readRange');
      let fault = faultAt(path, 0);
      if (fault?.change) {
        fault.change(files);
        fault = undefined;
      }
      const e = entries.get(path);
      if (!e) throw notFound(path);
      const bytes = e.bytes.slice(offset, offset + length);
      return fault?.short ? bytes.slice(0, Math.floor(bytes.length / 2)) : bytes;
    },
    async create(path): Promise<WritableFile> {
      await enter(path, 'create');
      write(path, new Uint8Array(0));
      let size = 0;
      const grow = (at: number, chunk: Uint8Array): void => {
        const e = entries.get(path);
        if (!e) throw notFound(path);
        const end = Math.max(e.bytes.length, at + chunk.length);
        const next = end > e.bytes.length ? new Uint8Array(end) : e.bytes;
        if (next !== e.bytes) next.set(e.bytes);
        next.set(chunk, at);
        write(path, next);
        size = Math.max(size, end);
      };
      return {
        write: async (chunk) => {
          await enter(path, 'write');
          grow(size, chunk);
        },
        writeAt: async (chunk, at) => {
          await enter(path, 'write');
          grow(at, chunk);
        },
        sync: () => enter(path, 'sync'),
        close: async () => {},
      };
    },
    async rename(from, to) {
      await enter(from, 'rename');
      const e = entries.get(from);
      if (!e) throw notFound(from);
      entries.delete(from);
      entries.set(to, e);
    },
    async remove(path) {
      await enter(path, 'remove');
      entries.delete(path);
    },
    async list(dir) {
      await enter(dir, 'list');
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      return [...entries.keys()].filter((p) => p.startsWith(prefix)).sort();
    },
    sha256(): Hash {
      const hash = createHash('sha256');
      return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest('hex') };
    },
  };
  return files;
}
