/**
 * The received store: uploads whose bytes arrived complete and verified, waiting for (or kept after) their
 * ingestion. A file lives at `received/<sha256>/<name>` with its metadata beside it in `.<name>.json`; both path
 * parts were validated (a hex digest, a safe file name) and the directory is made without following symbolic
 * links out of the store. An in-memory index, rebuilt at start from the metadata files, finds files by digest
 * and name, and by archive id. Internal to src/adapters/http.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../../io/durable-fs.js';
import { writeFileAtomic } from '../_shared/files.js';
import { KeyedMutex } from '../_shared/keyed-mutex.js';
import { safeDestination } from '../_shared/safe-path.js';
import { FILE_NAME, SHA256, type FileMeta } from './protocol.js';

/** A verified file in the received store. */
export interface ReceivedFile extends FileMeta {
  /** Where it is on this machine. */
  path: string;
  /** The site whose token sent it. */
  site: string;
  /** When its last byte arrived and was verified (epoch ms). */
  receivedAt: number;
}

const keyOf = (sha256: string, name: string) => `${sha256}/${name}`;

/** The upload id a received file is listed and deleted under (32 hex digits, like a partial upload's). */
export function receivedId(file: Pick<ReceivedFile, 'sha256' | 'name'>): string {
  return createHash('sha256').update(keyOf(file.sha256, file.name)).digest('hex').slice(0, 32);
}

/** The verified uploads, by digest and name and by archive id. */
export class ReceivedStore {
  readonly root: string;
  readonly #fsync: boolean;
  readonly #files = new Map<string, ReceivedFile>();
  readonly #byArchiveId = new Map<string, string>();
  readonly #placing = new KeyedMutex();

  constructor(root: string, fsync: boolean) {
    this.root = root;
    this.#fsync = fsync;
  }

  /** Rebuilds the index from the metadata files. */
  async load(): Promise<void> {
    this.#files.clear();
    this.#byArchiveId.clear();
    for (const sha of await readdir(this.root)) {
      if (!SHA256.test(sha)) continue;
      const dir = join(this.root, sha);
      if (!(await lstat(dir)).isDirectory()) continue;
      for (const entry of await readdir(dir)) {
        const name = /^\.(.+)\.json$/.exec(entry)?.[1];
        if (!name || !FILE_NAME.test(name)) continue;
        const meta = JSON.parse(await readFile(join(dir, entry), 'utf8')) as ReceivedFile;
        const present = await lstat(join(dir, name)).then((s) => s.isFile(), () => false);
        if (present) this.#index({ ...meta, path: join(dir, name) });
        else await rm(join(dir, entry), { force: true });
      }
    }
  }

  #index(file: ReceivedFile): void {
    this.#files.set(keyOf(file.sha256, file.name), file);
    if (file.archiveId !== undefined) this.#byArchiveId.set(file.archiveId, keyOf(file.sha256, file.name));
  }

  get(sha256: string, name: string): ReceivedFile | undefined {
    return this.#files.get(keyOf(sha256, name));
  }

  /** Any received file with this digest. */
  withDigest(sha256: string): ReceivedFile | undefined {
    for (const file of this.#files.values()) if (file.sha256 === sha256) return file;
    return undefined;
  }

  /** The newest received file declared under an archive id. */
  forArchiveId(archiveId: string): ReceivedFile | undefined {
    const key = this.#byArchiveId.get(archiveId);
    return key === undefined ? undefined : this.#files.get(key);
  }

  /** All received files (for sweeps). */
  all(): ReceivedFile[] {
    return [...this.#files.values()];
  }

  /**
   * Moves a verified partial file into the store (or drops it when identical bytes under the same name are
   * already there) and records its metadata.
   *
   * @throws IngestError UNSAFE_DESTINATION when the store's directory for the digest is a link out of it.
   */
  async place(partial: string, meta: FileMeta, site: string, receivedAt: number): Promise<ReceivedFile> {
    return this.#placing.run(meta.sha256, async () => {
      const fresh = !(await lstat(join(this.root, meta.sha256)).then(() => true, () => false));
      const dest = await safeDestination(this.root, `${meta.sha256}/${meta.name}`);
      const existing = this.#files.get(keyOf(meta.sha256, meta.name));
      // The same bytes under the same name sent again stay the first sender's: another site sending a copy does
      // not take the upload (and with it the archived file) over.
      const file: ReceivedFile = { ...meta, path: dest.path, site: existing?.site ?? site, receivedAt: existing?.receivedAt ?? receivedAt };
      if (existing) await rm(partial, { force: true });
      else await rename(partial, dest.path);
      const { path: _path, ...stored } = file;
      await writeFileAtomic(dest.dir, `.${meta.name}.json`, `${JSON.stringify(stored)}\n`, this.#fsync);
      // writeFileAtomic synced the digest's directory (both renames); a new directory needs its parent synced.
      if (this.#fsync && fresh) await syncDirectory(this.root);
      this.#index(file);
      return file;
    });
  }

  /** Removes a received file and its metadata (after it was archived). */
  async discard(file: ReceivedFile): Promise<void> {
    await this.#placing.run(file.sha256, async () => {
      const key = keyOf(file.sha256, file.name);
      if (this.#files.get(key) !== file && this.#files.get(key)?.path !== file.path) return;
      this.#files.delete(key);
      if (file.archiveId !== undefined && this.#byArchiveId.get(file.archiveId) === key) this.#byArchiveId.delete(file.archiveId);
      const dir = join(this.root, file.sha256);
      await rm(join(dir, file.name), { force: true });
      await rm(join(dir, `.${file.name}.json`), { force: true });
      await rmdir(dir).catch(() => undefined); // other names with the same bytes may remain
    });
  }
}
