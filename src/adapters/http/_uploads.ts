/**
 * Partial uploads: created with the sender's declaration, filled by PATCH requests at explicit offsets (the tus
 * model), asked for their offset with HEAD, and moved into the received store once complete and verified. A
 * partial is `partial/<id>.part` with its declaration in `partial/<id>.json`; ids are made here (32 random hex
 * digits), never taken from the client. The offset is the partial's size on disk, so it survives a restart; the
 * running digest is rebuilt from those bytes when needed. Internal to src/adapters/http.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../../core/errors.js';
import { writeFileAtomic } from '../_shared/files.js';
import { ArrivalCheck } from './_arrival.js';
import { refusal } from './_auth.js';
import { UPLOAD_ID, type FileMeta } from './protocol.js';
import { ReceivedStore, type ReceivedFile } from './_received.js';

/** Bytes written per system call (chunks from the socket are gathered up to this). */
const BATCH = 1 << 20;
/** Bytes between background flushes to stable storage during a large upload. */
const SYNC_EVERY = 64 << 20;

interface Declaration {
  meta: FileMeta;
  site: string;
  createdAt: number;
}

interface Upload extends Declaration {
  id: string;
  /** The running check; undefined when it must be rebuilt from the bytes on disk. */
  check: ArrivalCheck | undefined;
  /** A request is writing it. */
  busy: boolean;
  idle: Promise<void>;
  done: () => void;
}

/**
 * Decides whether complete, verified bytes may enter the received store (from the file itself: its header);
 * throws to refuse them, and the bytes are then deleted.
 */
export type Admit = (path: string, meta: FileMeta) => Promise<void>;

/** Result of appending bytes: the new offset, and the received file once complete. */
export interface AppendResult {
  offset: number;
  received?: ReceivedFile;
}

/** Partial uploads and the received store they complete into. */
export class UploadStore {
  readonly received: ReceivedStore;
  readonly #partials: string;
  readonly #fsync: boolean;
  /** Background flushes while large uploads arrive (none when not syncing at all). */
  readonly #syncEvery: number;
  readonly #open = new Map<string, Upload>();

  constructor(root: string, fsync: boolean) {
    this.#partials = join(root, 'partial');
    this.received = new ReceivedStore(join(root, 'received'), fsync);
    this.#fsync = fsync;
    this.#syncEvery = fsync ? SYNC_EVERY : 0;
  }

  async init(): Promise<void> {
    await mkdir(this.#partials, { recursive: true });
    await mkdir(this.received.root, { recursive: true });
    await this.received.load();
    // Partials left by an earlier run can be resumed, by id or by a sender creating the same upload again.
    for (const name of await readdir(this.#partials)) {
      const id = /^([0-9a-f]{32})\.json$/.exec(name)?.[1];
      if (id && !this.#open.has(id)) await this.#get(id).catch(() => undefined);
    }
  }

  #paths(id: string) {
    return { part: join(this.#partials, `${id}.part`), json: join(this.#partials, `${id}.json`) };
  }

  #track(id: string, declaration: Declaration, check: ArrivalCheck | undefined): Upload {
    const upload = { id, ...declaration, check, busy: false, idle: Promise.resolve(), done: () => {} };
    this.#open.set(id, upload);
    return upload;
  }

  /** The upload with this id (loaded from disk after a restart). @throws IngestError UPLOAD_NOT_FOUND */
  async #get(id: string): Promise<Upload> {
    const known = this.#open.get(id);
    if (known) return known;
    const missing = () => new IngestError('UPLOAD_NOT_FOUND', `no upload ${id}`);
    if (!UPLOAD_ID.test(id)) throw missing();
    const { json } = this.#paths(id);
    const text = await readFile(json, 'utf8').catch(() => undefined);
    if (text === undefined) throw missing();
    return this.#open.get(id) ?? this.#track(id, JSON.parse(text) as Declaration, undefined);
  }

  /**
   * Creates an upload, or hands back an idle partial of the same file from the same site (a sender that
   * restarted resumes where it stopped).
   */
  async create(meta: FileMeta, site: string, now: number): Promise<{ uploadId: string; offset: number }> {
    const declared = JSON.stringify(meta);
    const same = [...this.#open.values()].find((u) => u.site === site && JSON.stringify(u.meta) === declared);
    // A request still writing it may be one whose sender just went away: give it a moment to notice.
    if (same?.busy) await Promise.race([same.idle, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (same && !same.busy && this.#open.get(same.id) === same) return { uploadId: same.id, offset: await this.#offset(same) };
    const id = randomBytes(16).toString('hex');
    const declaration: Declaration = { meta, site, createdAt: now };
    await writeFileAtomic(this.#partials, `${id}.json`, `${JSON.stringify(declaration)}\n`, this.#fsync);
    await (await open(this.#paths(id).part, 'wx', 0o644)).close();
    this.#track(id, declaration, new ArrivalCheck(meta));
    return { uploadId: id, offset: 0 };
  }

  async #offset(upload: Upload): Promise<number> {
    if (upload.check) return upload.check.offset;
    try {
      return (await stat(this.#paths(upload.id).part)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // Removed (swept, deleted) while this request loaded it from disk: forget it.
      if (this.#open.get(upload.id) === upload) this.#open.delete(upload.id);
      throw new IngestError('UPLOAD_NOT_FOUND', `no upload ${upload.id}`);
    }
  }

  /**
   * The offset and declared size; waits up to `waitMs` for a request still writing it. With `site`, an upload
   * of another site is reported as not found.
   *
   * @throws IngestError UPLOAD_NOT_FOUND, UPLOAD_BUSY
   */
  async head(id: string, site: string | undefined, waitMs = 2000): Promise<{ offset: number; meta: FileMeta }> {
    const upload = await this.#get(id);
    // Another site's upload answers like an unknown one (and is logged as a refusal).
    if (site !== undefined && upload.site !== site) throw refusal(new IngestError('UPLOAD_NOT_FOUND', `no upload ${id}`));
    if (upload.busy) {
      const timeout = new Promise<'busy'>((resolve) => setTimeout(resolve, waitMs, 'busy').unref());
      if ((await Promise.race([upload.idle, timeout])) === 'busy') throw new IngestError('UPLOAD_BUSY', `upload ${id} is being written by another request`);
    }
    return { offset: await this.#offset(this.#open.get(id) ?? upload), meta: upload.meta };
  }

  /**
   * Writes `body` at `offset`; completes the upload when the last byte arrived.
   *
   * @throws IngestError UPLOAD_NOT_FOUND, UPLOAD_BUSY, UPLOAD_OFFSET_MISMATCH (context `offset` = the server's),
   * PAYLOAD_TOO_LARGE (more bytes than declared), DIGEST_MISMATCH / CHECKSUM_MISMATCH (the partial is removed)
   */
  async append(id: string, offset: number, body: AsyncIterable<Buffer>, length: number | undefined, now: () => number, admit?: Admit): Promise<AppendResult> {
    const upload = await this.#get(id);
    if (upload.busy) throw new IngestError('UPLOAD_BUSY', `upload ${id} is being written by another request`);
    upload.busy = true;
    upload.idle = new Promise((resolve) => (upload.done = resolve));
    try {
      const { part } = this.#paths(id);
      upload.check ??= await ArrivalCheck.fromFile(upload.meta, part);
      const check = upload.check;
      if (offset !== check.offset) {
        throw new IngestError('UPLOAD_OFFSET_MISMATCH', `the request starts at byte ${offset}; the server holds ${check.offset}`, {
          context: { offset: check.offset },
        });
      }
      if (length !== undefined && offset + length > upload.meta.size) throw tooMuch(upload.meta, offset + length);
      const handle = await open(part, 'r+');
      try {
        await writeBody(handle, body, check, upload.meta, this.#syncEvery).catch((error: unknown) => {
          if (!(error instanceof IngestError && error.code === 'PAYLOAD_TOO_LARGE')) upload.check = undefined;
          throw error;
        });
        if (check.offset < upload.meta.size) return { offset: check.offset };
        if (this.#fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      const received = await this.#complete(upload, check, now(), admit);
      return { offset: check.offset, received };
    } finally {
      upload.busy = false;
      upload.done();
    }
  }

  async #complete(upload: Upload, check: ArrivalCheck, now: number, admit: Admit | undefined): Promise<ReceivedFile> {
    const { part } = this.#paths(upload.id);
    try {
      check.finish();
      await admit?.(part, upload.meta);
    } catch (error) {
      await this.remove(upload.id);
      throw error;
    }
    const received = await this.received.place(part, upload.meta, upload.site, now);
    await this.remove(upload.id);
    return received;
  }

  /**
   * A whole file in one request (`curl --data-binary`): written to a private partial, verified, placed. Nothing
   * stays behind when it fails.
   */
  async oneShot(meta: FileMeta, site: string, body: AsyncIterable<Buffer>, now: () => number, admit?: Admit): Promise<ReceivedFile> {
    const id = randomBytes(16).toString('hex');
    const { part } = this.#paths(id);
    const check = new ArrivalCheck(meta);
    try {
      const handle = await open(part, 'wx', 0o644);
      try {
        await writeBody(handle, body, check, meta, this.#syncEvery);
        if (this.#fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      check.finish();
      await admit?.(part, meta);
      return await this.received.place(part, meta, site, now());
    } finally {
      await rm(part, { force: true });
    }
  }

  /** Forgets an upload and deletes its bytes. */
  async remove(id: string): Promise<void> {
    if (!UPLOAD_ID.test(id)) throw new IngestError('UPLOAD_NOT_FOUND', `no upload ${id}`);
    this.#open.delete(id);
    const { part, json } = this.#paths(id);
    await rm(part, { force: true });
    await rm(json, { force: true });
  }

  /** When a partial upload last changed: its creation, or the last bytes written to it. */
  async #lastActivity(id: string, declaration: Declaration): Promise<number> {
    const written = await stat(this.#paths(id).part).then((st) => st.mtimeMs, () => 0);
    return Math.max(declaration.createdAt, written);
  }

  /** Every partial upload (with `site`, only that site's), with its offset and last activity. */
  async list(site: string | undefined): Promise<PartialUpload[]> {
    const found: PartialUpload[] = [];
    for (const name of await readdir(this.#partials)) {
      const id = /^([0-9a-f]{32})\.json$/.exec(name)?.[1];
      if (!id) continue;
      const upload = await this.#get(id).catch(() => undefined);
      if (!upload || (site !== undefined && upload.site !== site)) continue;
      const offset = upload.busy ? (upload.check?.offset ?? 0) : await this.#offset(upload).catch(() => undefined);
      if (offset === undefined) continue; // removed meanwhile
      found.push({ id, meta: upload.meta, site: upload.site, createdAt: upload.createdAt, offset, lastActivity: await this.#lastActivity(id, upload), busy: upload.busy });
    }
    return found;
  }

  /**
   * Deletes partial uploads idle (no byte written, no request writing) for more than `ttlMs`; returns what it
   * deleted.
   */
  async sweep(now: number, ttlMs: number): Promise<PartialUpload[]> {
    const removed: PartialUpload[] = [];
    for (const upload of await this.list(undefined)) {
      if (upload.busy || now - upload.lastActivity <= ttlMs) continue;
      await this.remove(upload.id);
      removed.push(upload);
    }
    // Declarations that cannot be read are nobody's upload.
    for (const name of await readdir(this.#partials)) {
      const id = /^([0-9a-f]{32})\.json$/.exec(name)?.[1];
      if (id && !this.#open.has(id) && !(await this.#get(id).then(() => true, () => false))) await this.remove(id);
    }
    return removed;
  }
}

/** A partial upload, as listed and swept. */
export interface PartialUpload {
  id: string;
  meta: FileMeta;
  site: string;
  createdAt: number;
  offset: number;
  /** Epoch ms of the last byte written (or of the creation). */
  lastActivity: number;
  busy: boolean;
}

function tooMuch(meta: FileMeta, total: number): IngestError {
  return new IngestError('PAYLOAD_TOO_LARGE', `the request would bring the upload to ${total} bytes; ${meta.size} were declared`, {
    context: { file: meta.name, offset: meta.size },
  });
}

/**
 * Writes a body at the check's offset, in batches: one batch is written while the next arrives, each batch is
 * hashed as it is handed to the disk, and with `syncEvery` > 0 the data written so far is flushed to stable
 * storage in the background every `syncEvery` bytes (so the final fsync has little left to do).
 */
async function writeBody(handle: FileHandle, body: AsyncIterable<Buffer>, check: ArrivalCheck, meta: FileMeta, syncEvery: number): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let position = check.offset;
  let writing: Promise<void> = Promise.resolve();
  let syncing: Promise<void> | undefined;
  let unsynced = 0;
  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    const [chunks, bytes, at] = [batch, batchBytes, position];
    [batch, batchBytes, position] = [[], 0, position + bytes];
    await writing; // one write at a time, in order
    for (const chunk of chunks) check.update(chunk);
    writing = handle.writev(chunks, at).then(({ bytesWritten }) => {
      if (bytesWritten !== bytes) throw new IngestError('IO_ERROR', `short write: ${bytesWritten} of ${bytes} bytes`, { context: { file: meta.name, offset: at } });
    });
    writing.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    unsynced += bytes;
    if (syncEvery > 0 && unsynced >= syncEvery && !syncing) {
      unsynced = 0;
      syncing = writing.then(() => handle.datasync()).finally(() => (syncing = undefined));
      syncing.catch(() => undefined);
    }
  };
  try {
    for await (const chunk of body) {
      if (position + batchBytes + chunk.length > meta.size) {
        await flush();
        throw tooMuch(meta, position + batchBytes + chunk.length);
      }
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH) await flush();
    }
  } catch (error) {
    // The sender went away (or sent too much): keep what arrived, so a resume continues after it.
    if (!(error instanceof IngestError)) await flush();
    throw error;
  } finally {
    await writing.finally(() => syncing);
  }
  await flush();
  await writing.finally(() => syncing);
}
