/**
 * Local file access port: what the runtime needs from the machine it runs on to read sources and stage
 * prepared copies. The core never touches the disk itself; `fits-ingest` wires the Node.js implementation
 * (`nodeFiles()`), tests may wire their own.
 *
 * @module
 */

/** Size and modification time of a file. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  /** Inode/file id when the platform has one, to notice a file replaced under the same name. */
  ino?: number;
}

/** An incremental hash. */
export interface Hash {
  update(chunk: Uint8Array): void;
  /** Lower-case hex digest. */
  digest(): string;
}

/** A file open for writing at chosen offsets. */
export interface WritableFile {
  /** Appends bytes at the current end. */
  write(chunk: Uint8Array): Promise<void>;
  /** Overwrites bytes at an absolute offset (used to write a header once its checksum is known). */
  writeAt(chunk: Uint8Array, offset: number): Promise<void>;
  /** Flushes to stable storage. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Sees every chunk of a pumped file, in order (a {@link Hash}, a parser…); must copy what it keeps. */
export interface ChunkObserver {
  update(chunk: Uint8Array): unknown;
}

/** Options of {@link FileAccess.pump}. */
export interface FilePumpOptions {
  /** Bytes the file must have: fewer, or more, is SOURCE_CHANGED with the offset where its bytes stopped or went on. */
  length: number;
  observers: readonly ChunkObserver[];
  /** Keep the bytes: the result holds the whole file in one buffer (for small files read once, then copied). */
  keep?: boolean;
  signal?: AbortSignal;
}

/** What {@link FileAccess.pump} read. */
export interface PumpedFile {
  /** The whole file, when `keep` was asked (valid until `release`). */
  bytes?: Uint8Array;
  /** Gives the kept buffer back; call once done with `bytes`. */
  release(): void;
}

/** Reading, staging and hashing on the local machine. */
export interface FileAccess {
  /** Stat, or undefined when the file does not exist. Other errors throw. */
  stat(path: string): Promise<FileStat | undefined>;
  /**
   * Reads a file as a sequence of chunks. Chunks may be reused after the consumer's next step, so consumers
   * must not keep references to them.
   */
  read(path: string, options?: { start?: number; end?: number; chunkSize?: number; signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  /** Reads up to `length` bytes at `offset` (fewer only at the end of the file). */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Creates (truncating) a file for writing, creating parent directories. */
  create(path: string): Promise<WritableFile>;
  /** Atomically renames, replacing the target. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; no error if it is already gone. */
  remove(path: string): Promise<void>;
  /** Lists regular files under a directory, recursively. */
  list(dir: string): Promise<string[]>;
  /** A new SHA-256 hash. */
  sha256(): Hash;
  /**
   * Optional: reads the whole file once, front to back, feeding every chunk to the observers, with one rule for a
   * file that changes while it is read: exactly `length` bytes or IngestError SOURCE_CHANGED naming the offset.
   * With `keep`, the bytes stay in memory for the caller (a small file is read once between validation and its
   * copy). Without this method callers use {@link read} and compare stats before and after.
   */
  pump?(path: string, options: FilePumpOptions): Promise<PumpedFile>;
}
