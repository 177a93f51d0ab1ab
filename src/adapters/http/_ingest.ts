/**
 * Ingestion requests of the server: idempotent by archive id + digest (bytes the archive already holds are
 * never ingested twice; different bytes under an archived id are refused unless `reingest`), waiting for a final
 * state, pipeline products with their parents, and batches held until their night is released. Received files
 * are removed once archived. Internal to src/adapters/http.
 *
 * @module
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../../core/errors.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import { isFinal } from '../../core/lifecycle/states.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Ingestor } from '../../core/runtime/engine.js';
import { writeFileAtomic } from '../transports/_files.js';
import { KeyedMutex } from '../transports/_keyed-mutex.js';
import type { IngestRequest, IngestStatus, ProductsRequest } from './_protocol.js';
import type { ReceivedFile, ReceivedStore } from './_received.js';
import { recordStatus } from './_status.js';

/** What the service needs from the server. */
export interface IngestServiceOptions {
  ingestor: Ingestor;
  received: ReceivedStore;
  /** Where held batches are kept, one JSON file per night. */
  heldDir: string;
  trigger: string;
  keepReceived: boolean;
  fsync: boolean;
  logger: Logger;
  now: () => number;
}

type Held = Omit<IngestRequest, 'wait' | 'reingest' | 'archiveId'> & { site: string; heldAt: number };

/** Ingestion on behalf of HTTP senders. */
export class IngestService {
  readonly #o: IngestServiceOptions;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #locks = new KeyedMutex();

  readonly #onState = (record: FileRecord): void => {
    if (!isFinal(record.state)) return;
    for (const wake of this.#waiters.get(record.id) ?? []) wake();
  };
  readonly #onDone = (record: FileRecord): void => void this.#discard(record);

  constructor(options: IngestServiceOptions) {
    this.#o = options;
    options.ingestor.on('state', this.#onState).on('archived', this.#onDone).on('duplicate', this.#onDone);
  }

  /** Stops listening to the ingestor. */
  dispose(): void {
    this.#o.ingestor.off('state', this.#onState).off('archived', this.#onDone).off('duplicate', this.#onDone);
  }

  get catalog() {
    return this.#o.ingestor.catalog;
  }

  async init(): Promise<void> {
    await mkdir(this.#o.heldDir, { recursive: true });
    // Received files whose bytes an earlier run archived but did not get to remove.
    for (const file of this.#o.received.all()) {
      const [archived] = await this.catalog.findArchived({ sourceSha256: file.sha256, limit: 1 });
      const active = await this.catalog.findRecords({ source: file.path, states: ['DETECTED', 'STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED', 'FAILED'], limit: 1 });
      if (archived && active.length === 0 && !this.#o.keepReceived) await this.#o.received.discard(file);
    }
  }

  async #discard(record: FileRecord): Promise<void> {
    if (this.#o.keepReceived || record.trigger !== this.#o.trigger) return;
    const sha = record.metadata['announcedSha256'];
    const file = typeof sha === 'string' ? this.#o.received.get(sha, record.originalName) : undefined;
    if (file?.path === record.source) {
      await this.#o.received.discard(file).catch((error: unknown) => this.#o.logger.warn('could not remove a received file', { path: file.path, error: String(error) }));
    }
  }

  /**
   * Requests the ingestion of a received file (or finds that the archive holds its bytes already).
   *
   * @throws IngestError NOT_RECEIVED, ARCHIVE_ID_CONFLICT, SERVER_ERROR (the ingestor is not running)
   */
  async ingest(site: string, request: Omit<IngestRequest, 'wait'>): Promise<IngestStatus> {
    return this.#locks.run(request.archiveId ?? request.sha256, async () => {
      if (!request.reingest) {
        const [archived] = await this.catalog.findArchived({ sourceSha256: request.sha256, limit: 1 });
        const record = archived ? await this.catalog.getRecord(archived.recordId) : undefined;
        if (record && (request.archiveId === undefined || archived!.archiveId === request.archiveId)) {
          const file = this.#o.received.get(request.sha256, request.name);
          if (file && !this.#o.keepReceived) await this.#o.received.discard(file);
          return recordStatus(this.catalog, record, true);
        }
        if (request.archiveId !== undefined) {
          const taken = await this.catalog.getArchived(request.archiveId);
          if (taken && taken.sha256 !== request.sha256 && taken.sourceSha256 !== request.sha256) {
            throw new IngestError('ARCHIVE_ID_CONFLICT', `archive id ${request.archiveId} holds other bytes (SHA-256 ${taken.sha256}); send with reingest to replace them`, {
              context: { archiveId: request.archiveId },
            });
          }
        }
      }
      const file = this.#o.received.get(request.sha256, request.name);
      if (!file) {
        throw new IngestError('NOT_RECEIVED', `no received file ${request.name} with SHA-256 ${request.sha256}`, { context: { file: request.name } });
      }
      return recordStatus(this.catalog, await this.#submit(site, file, request));
    });
  }

  async #submit(site: string, file: ReceivedFile, request: Omit<IngestRequest, 'wait' | 'archiveId'>): Promise<FileRecord> {
    try {
      const { record } = await this.#o.ingestor.submit({
        path: file.path,
        trigger: this.#o.trigger,
        detectedAt: this.#o.now(),
        size: file.size,
        complete: true,
        level: request.level,
        parents: request.parents,
        ...(request.instrument !== undefined ? { instrument: request.instrument } : {}),
        metadata: {
          site,
          receivedAt: file.receivedAt,
          announcedSha256: file.sha256,
          announcedSize: file.size,
          ...(request.prepared ? { prepared: true } : {}),
          ...(request.reingest ? { reingest: true } : {}),
        },
      });
      return record;
    } catch (error) {
      if (error instanceof IngestError && error.code === 'INVALID_OPTIONS') {
        throw new IngestError('SERVER_ERROR', 'the archive is not ingesting right now (starting or stopping)', { cause: error });
      }
      throw error;
    }
  }

  /** Waits up to `seconds` for a record to reach a final state; returns its status either way. */
  async wait(recordId: string, seconds: number): Promise<IngestStatus> {
    const read = async () => {
      const record = await this.catalog.getRecord(recordId);
      if (!record) throw new IngestError('NOT_FOUND', `no ingestion ${recordId}`);
      return record;
    };
    let record = await read();
    if (seconds > 0 && !isFinal(record.state)) {
      let wake = (): void => {};
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const set = this.#waiters.get(recordId) ?? new Set();
      set.add(wake);
      this.#waiters.set(recordId, set);
      let timer: NodeJS.Timeout | undefined;
      try {
        record = await read();
        if (!isFinal(record.state)) {
          await Promise.race([woken, new Promise((resolve) => (timer = setTimeout(resolve, seconds * 1000)))]);
          record = await read();
        }
      } finally {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.#waiters.delete(recordId);
      }
    }
    return recordStatus(this.catalog, record);
  }

  /** Checks that every parent of every product is archived. @throws IngestError PARENT_UNKNOWN */
  async #checkParents(products: ProductsRequest['products']): Promise<void> {
    for (const product of products) {
      for (const parent of product.parents) {
        if (!(await this.catalog.getArchived(parent))) {
          throw new IngestError('PARENT_UNKNOWN', `product ${product.name} names parent ${parent}, which the archive does not hold`, {
            context: { file: product.name, parent },
          });
        }
      }
      if (!this.#o.received.get(product.sha256, product.name)) {
        throw new IngestError('NOT_RECEIVED', `no received file ${product.name} with SHA-256 ${product.sha256}`, { context: { file: product.name } });
      }
    }
  }

  /** Submits products now, or holds them until their night is released. */
  async products(site: string, request: ProductsRequest): Promise<{ held: number; night: string | null; products: IngestStatus[] }> {
    await this.#checkParents(request.products);
    if (!request.hold) {
      const statuses: IngestStatus[] = [];
      for (const product of request.products) statuses.push(await this.ingest(site, { ...product, reingest: false }));
      return { held: 0, night: request.night ?? null, products: statuses };
    }
    if (request.night === undefined) throw new IngestError('BAD_REQUEST', 'a held batch needs the night it is released with', { context: { field: 'night' } });
    const night = request.night;
    return this.#locks.run(`night:${night}`, async () => {
      const held = await this.#held(night);
      for (const product of request.products) {
        if (!held.some((h) => h.sha256 === product.sha256 && h.name === product.name)) held.push({ ...product, site, heldAt: this.#o.now() });
      }
      await writeFileAtomic(this.#o.heldDir, `${night}.json`, `${JSON.stringify(held)}\n`, this.#o.fsync);
      return { held: held.length, night, products: [] };
    });
  }

  async #held(night: string): Promise<Held[]> {
    const text = await readFile(join(this.#o.heldDir, `${night}.json`), 'utf8').catch(() => '[]');
    return JSON.parse(text) as Held[];
  }

  /** How many products wait for a night's release. */
  async heldCount(night: string): Promise<number> {
    return (await this.#held(night)).length;
  }

  /** Submits every product held for a night; the batch file goes once all are submitted. */
  async release(night: string): Promise<{ night: string; released: IngestStatus[] }> {
    return this.#locks.run(`night:${night}`, async () => {
      const held = await this.#held(night);
      const released: IngestStatus[] = [];
      for (const { site, heldAt: _heldAt, ...product } of held) released.push(await this.ingest(site, { ...product, reingest: false }));
      await rm(join(this.#o.heldDir, `${night}.json`), { force: true });
      return { night, released };
    });
  }
}
