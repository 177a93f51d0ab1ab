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
  /**
   * Gives files their modification times; each write moves a file's mtime on by at least a microsecond, as
   * nanosecond file system clocks do. @default a counter that moves 1 ms per write
   */
  clock?: Pick<Clock, 'now'>;
  /** Size of the chunks `read` yields when the caller asks for none. @default 65536 */
  chunkSize?: number;
}

/** The operations faults can be injected into. */
export type MemoryFileOperation = 'stat' | 'read' | 'readRange' | 'create' | 'write' | 'sync' | 'rename' | 'remove' | 'list';

/** Something that happens when a read of a file reaches byte `atOffset` of it. */
export interface ReadFault {
  /** The file offset at which the fault happens (a read covering it meets it). @default 0 */
  atOffset?: number;
  /** Only this kind of read meets the fault. @default either */
  operation?: 'read' | 'readRange';
  /** The read returns the bytes before `atOffset` only and ends there, as if the file were shorter (a short read). */
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
  /** The next read (`read` or `readRange`) of `path` that reaches `fault.atOffset` meets the fault (once). */
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

  /** The first fault a `operation` of `path` meets in [from, to), if any. */
  function faultIn(path: string, operation: 'read' | 'readRange', from: number, to: number): { at: number; fault: ReadFault; index: number } | undefined {
    let found: { at: number; fault: ReadFault; index: number } | undefined;
    readFaults.forEach((f, index) => {
      const at = f.fault.atOffset ?? 0;
      const kind = f.fault.operation ?? operation;
      if (f.path === path && kind === operation && at >= from && at < to && (!found || at < found.at)) found = { at, fault: f.fault, index };
    });
    return found;
  }

  const notFound = (path: string): IngestError => new IngestError('FILE_NOT_FOUND', `no file ${path} in memory`, { context: { file: path } });
  const write = (path: string, bytes: Uint8Array, mtimeMs?: number): void => {
    const old = entries.get(path);
    const at = mtimeMs ?? Math.max(mtime(), old ? old.mtimeMs + 0.001 : 0);
    entries.set(path, { bytes, mtimeMs: at, ino: old?.ino ?? ++inodes });
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
        let length = Math.min(o.chunkSize ?? chunkSize, end - offset);
        const fault = faultIn(path, 'read', offset, offset + length);
        if (fault && fault.at === offset) {
          readFaults.splice(fault.index, 1);
          if (fault.fault.short) return;
          fault.fault.change?.(files);
          continue;
        }
        if (fault) length = fault.at - offset; // stop the chunk where the fault is
        yield e.bytes.slice(offset, offset + length);
        offset += length;
      }
    },
    async readRange(path, offset, length) {
      await enter(path, 'readRange');
      const fault = faultIn(path, 'readRange', offset, offset + length);
      if (fault) readFaults.splice(fault.index, 1);
      fault?.fault.change?.(files);
      const e = entries.get(path);
      if (!e) throw notFound(path);
      return e.bytes.slice(offset, fault?.fault.short ? fault.at : offset + length);
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
