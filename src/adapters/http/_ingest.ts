/**
 * Ingestion requests of the server: idempotent by archive id + digest (bytes the archive already holds are
 * never ingested twice; different bytes under an archived id are refused unless `reingest`), waiting for a final
 * state, pipeline products with their parents, and batches held until their night is released. Received files
 * are removed once archived. Internal to src/adapters/http.
 *
 * @module
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../../core/errors.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import { isFinal } from '../../core/lifecycle/states.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Ingestor } from '../../core/runtime/engine.js';
import { writeFileAtomic } from '../_shared/files.js';
import { KeyedMutex } from '../_shared/keyed-mutex.js';
import { productArchiveId } from '../../core/normalize/product-id.js';
import { provenanceMetadata, type Provenance } from '../../core/normalize/product-provenance.js';
import { checkRoles, declaredProvenance } from './_product-provenance.js';
import { isAdmin, mayUse, refusal, type Principal } from './_auth.js';
import { identifyFile, type FileIdentity } from './_identity.js';
import { checkReplace, checkUploader, instrumentFor } from './_ownership.js';
import type { IngestRequest, IngestStatus, ProductsRequest } from './protocol.js';
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

type Held = Omit<IngestRequest, 'wait' | 'reingest' | 'archiveId'> &
  Partial<Pick<ProductsRequest['products'][number], 'roles' | 'pipeline' | 'parameters'>> & { reingest?: boolean; site: string; heldAt: number; fileInstrument?: string | null };

/** A held product a release could not submit, and why (it leaves the batch). */
export interface ReleaseFailure {
  name: string;
  sha256: string;
  code: string;
  message: string;
}

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

  /** The instrument descriptions the ingestor identifies files with. */
  get instruments() {
    return this.#o.ingestor.instruments;
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
   * Requests the ingestion of a received file (or finds that the archive holds its bytes already). What the
   * token may do is decided from the file (its INSTRUME) and from who owns what is archived: another site's
   * upload, a file of an instrument the token may not use, or replacing another site's archived file is refused.
   *
   * @throws IngestError NOT_RECEIVED, ARCHIVE_ID_CONFLICT, FORBIDDEN, NOT_FOUND, BAD_REQUEST, SERVER_ERROR
   */
  async ingest(principal: Principal, request: Omit<IngestRequest, 'wait'> & { provenance?: Provenance }): Promise<IngestStatus> {
    return this.#locks.run(request.archiveId ?? request.sha256, async () => {
      if (!request.reingest) {
        const [archived] = await this.catalog.findArchived({ sourceSha256: request.sha256, limit: 1 });
        const record = archived && mayUse(principal, archived.instrument) ? await this.catalog.getRecord(archived.recordId) : undefined;
        if (record && (request.archiveId === undefined || archived!.archiveId === request.archiveId)) {
          const file = this.#o.received.get(request.sha256, request.name);
          if (file && !this.#o.keepReceived && (file.site === principal.site || isAdmin(principal))) await this.#o.received.discard(file);
          return recordStatus(this.catalog, record, true);
        }
        if (request.archiveId !== undefined) {
          const taken = await this.catalog.getArchived(request.archiveId);
          if (taken && taken.sha256 !== request.sha256 && taken.sourceSha256 !== request.sha256 && mayUse(principal, taken.instrument)) {
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
      const identity = await this.identify(file, request.prepared);
      checkUploader(principal, file, identity);
      const instrument = instrumentFor(principal, identity, request.instrument, this.#o.ingestor.instruments, file.name);
      if (request.reingest) await this.#checkReplace(principal, identity, request);
      return recordStatus(this.catalog, await this.#submit(principal.site, file, { ...request, ...(instrument !== undefined ? { instrument } : {}) }));
    });
  }

  /** What a received file says it is (its header, read in bounded slices). */
  identify(file: Pick<ReceivedFile, 'path' | 'name' | 'sha256'>, prepared: boolean): Promise<FileIdentity> {
    return identifyFile(file.path, file.name, file.sha256, this.#o.ingestor.instruments, { prepared });
  }

  /** A reingest replaces the archived file its archive id names: only its owner (or an admin) may. */
  async #checkReplace(principal: Principal, identity: FileIdentity, request: Omit<IngestRequest, 'wait'>): Promise<void> {
    const target = request.level > 0 && !request.prepared && request.parents[0] !== undefined ? productArchiveId(request.parents[0], request.name) : identity.archiveId;
    if (target === null) {
      if (isAdmin(principal)) return;
      throw refusal(new IngestError('BAD_REQUEST', `cannot tell from the header of ${request.name} which archived file it replaces; only an admin token may reingest it`, { context: { file: request.name } }));
    }
    if (request.archiveId !== undefined && request.archiveId !== target) {
      throw refusal(new IngestError('BAD_REQUEST', `${request.name} would be archived as ${target}, not ${request.archiveId}`, { context: { file: request.name, field: 'archiveId' } }));
    }
    await checkReplace(principal, this.catalog, target);
  }

  async #submit(site: string, file: ReceivedFile, request: Omit<IngestRequest, 'wait' | 'archiveId'> & { provenance?: Provenance }): Promise<FileRecord> {
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
          ...(request.provenance ? provenanceMetadata(request.provenance) : {}),
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

  /**
   * Checks that every parent of every product is archived and visible to the token (a parent of an instrument it
   * may not read is unknown to it), and that the token may act on every product's received file.
   *
   * @throws IngestError PARENT_UNKNOWN, NOT_RECEIVED, FORBIDDEN, BAD_REQUEST
   */
  async #checkProducts(principal: Principal, products: ProductsRequest['products'], heldFor?: string): Promise<(string | null)[]> {
    const instruments: (string | null)[] = [];
    for (const product of products) {
      checkRoles(product);
      const nights = new Set<string>();
      for (const parent of product.parents) {
        const archived = await this.catalog.getArchived(parent);
        if (archived) nights.add(archived.night);
        if (!archived || !mayUse(principal, archived.instrument)) {
          const error = new IngestError('PARENT_UNKNOWN', `product ${product.name} names parent ${parent}, which the archive does not hold`, {
            context: { file: product.name, parent },
          });
          throw archived ? refusal(error) : error;
        }
      }
      if (heldFor !== undefined && !nights.has(heldFor)) {
        throw new IngestError('BAD_REQUEST', `product ${product.name} is held for the night ${heldFor}, but its parents are of ${[...nights].sort().join(', ')}; hold it for its parents' night`, {
          context: { file: product.name, field: 'night' },
        });
      }
      const file = this.#o.received.get(product.sha256, product.name);
      if (!file) {
        throw new IngestError('NOT_RECEIVED', `no received file ${product.name} with SHA-256 ${product.sha256}`, { context: { file: product.name } });
      }
      const identity = await this.identify(file, product.prepared);
      checkUploader(principal, file, identity);
      instrumentFor(principal, identity, product.instrument, this.#o.ingestor.instruments, file.name);
      instruments.push(identity.instrument);
    }
    return instruments;
  }

  /**
   * Refuses, before anything is submitted, a product whose archive id (its first parent and its name) holds other
   * bytes, unless it asks for a new version (`reingest`).
   *
   * @throws IngestError ARCHIVE_ID_CONFLICT
   */
  async #checkNewBytes(principal: Principal, product: ProductsRequest['products'][number]): Promise<void> {
    if (product.reingest || product.prepared) return;
    const target = productArchiveId(product.parents[0]!, product.name);
    const taken = await this.catalog.getArchived(target);
    if (!taken || !mayUse(principal, taken.instrument) || taken.sourceSha256 === product.sha256 || taken.sha256 === product.sha256) return;
    throw new IngestError('ARCHIVE_ID_CONFLICT', `product ${product.name} would be archived as ${target}, which holds other bytes (SHA-256 ${taken.sha256}); submit it with "reingest": true to archive it as a new version (the old one is kept, SUPERSEDED)`, {
      context: { file: product.name, archiveId: target },
    });
  }

  /** Submits products now, or holds them until their night is released. */
  async products(principal: Principal, request: ProductsRequest): Promise<{ held: number; night: string | null; products: IngestStatus[] }> {
    const instruments = await this.#checkProducts(principal, request.products, request.hold ? request.night : undefined);
    if (!request.hold) {
      for (const product of request.products) await this.#checkNewBytes(principal, product);
      const statuses: IngestStatus[] = [];
      for (const product of request.products) statuses.push(await this.ingest(principal, { ...product, ...declaredProvenance(product) }));
      return { held: 0, night: request.night ?? null, products: statuses };
    }
    if (request.night === undefined) throw new IngestError('BAD_REQUEST', 'a held batch needs the night it is released with', { context: { field: 'night' } });
    const night = request.night;
    const site = principal.site;
    return this.#locks.run(`night:${night}`, async () => {
      const held = await this.#held(night);
      request.products.forEach((product, i) => {
        if (!held.some((h) => h.sha256 === product.sha256 && h.name === product.name)) held.push({ ...product, site, fileInstrument: instruments[i] ?? null, heldAt: this.#o.now() });
      });
      await writeFileAtomic(this.#o.heldDir, `${night}.json`, `${JSON.stringify(held)}\n`, this.#o.fsync);
      return { held: held.length, night, products: [] };
    });
  }

  async #held(night: string): Promise<Held[]> {
    const text = await readFile(join(this.#o.heldDir, `${night}.json`), 'utf8').catch(() => '[]');
    return JSON.parse(text) as Held[];
  }

  /** Every product held, of every night (name and digest), to tell held files from idle ones. */
  async #heldFiles(): Promise<Set<string>> {
    const held = new Set<string>();
    for (const name of await readdir(this.#o.heldDir)) {
      const night = /^(\d{4}-\d{2}-\d{2})\.json$/.exec(name)?.[1];
      if (night) for (const h of await this.#held(night)) held.add(`${h.sha256}/${h.name}`);
    }
    return held;
  }

  /**
   * Received files nobody asked to ingest (no record, not in a held batch), with `site` only that site's. A file
   * whose ingestion was asked for is not idle: one the archive refused stays for inspection.
   */
  async idleReceived(site: string | undefined): Promise<ReceivedFile[]> {
    const held = await this.#heldFiles();
    const idle: ReceivedFile[] = [];
    for (const file of this.#o.received.all()) {
      if ((site !== undefined && file.site !== site) || held.has(`${file.sha256}/${file.name}`)) continue;
      const [record] = await this.catalog.findRecords({ source: file.path, limit: 1 });
      if (!record) idle.push(file);
    }
    return idle;
  }

  /** Deletes received files idle longer than `ttlMs` since they arrived; returns them. */
  async sweepReceived(now: number, ttlMs: number): Promise<ReceivedFile[]> {
    const expired: ReceivedFile[] = [];
    for (const file of (await this.idleReceived(undefined)).filter((f) => now - f.receivedAt > ttlMs)) {
      // Under the lock an ingestion request takes, and only if nobody asked for it meanwhile.
      await this.#locks.run(file.sha256, async () => {
        const [record] = await this.catalog.findRecords({ source: file.path, limit: 1 });
        if (record || this.#o.received.get(file.sha256, file.name) !== file) return;
        await this.#o.received.discard(file);
        expired.push(file);
      });
    }
    return expired;
  }

  /** The products held for a night that `principal` may act on: its site's (an admin: all), of instruments it may use. */
  async heldProducts(principal: Principal, night: string): Promise<Omit<Held, 'fileInstrument'>[]> {
    return (await this.#held(night))
      .filter((h) => (isAdmin(principal) || h.site === principal.site) && mayUse(principal, h.fileInstrument ?? h.instrument))
      .map(({ fileInstrument, ...h }) => ({ ...h, instrument: fileInstrument ?? h.instrument }));
  }

  /**
   * Withdraws a held product of `principal`'s site (an admin: any site's) from a night's batch; its received file
   * stays (idle: listed by GET /v1/uploads, expired after the upload TTL).
   *
   * @throws IngestError NOT_FOUND when the token holds no such product that night
   */
  async withdraw(principal: Principal, night: string, name: string, sha256: string | undefined): Promise<void> {
    await this.#locks.run(`night:${night}`, async () => {
      const held = await this.#held(night);
      const at = held.findIndex((h) => h.name === name && (sha256 === undefined || h.sha256 === sha256) && (isAdmin(principal) || h.site === principal.site) && mayUse(principal, h.fileInstrument ?? h.instrument));
      if (at < 0) throw refusal(new IngestError('NOT_FOUND', `no product ${name} held for ${night} by ${principal.site}`, { context: { file: name, night } }));
      held.splice(at, 1);
      if (held.length === 0) await rm(join(this.#o.heldDir, `${night}.json`), { force: true });
      else await writeFileAtomic(this.#o.heldDir, `${night}.json`, `${JSON.stringify(held)}\n`, this.#o.fsync);
    });
  }

  /** How many products wait for a night's release, of those whose instrument `principal` may use. */
  async heldCount(night: string, principal: Principal): Promise<number> {
    return (await this.#held(night)).filter((h) => mayUse(principal, h.fileInstrument ?? h.instrument)).length;
  }

  /**
   * Submits the products a site held for a night (an admin token: every site's); the others stay held. A token
   * whose site holds nothing that night while other sites do is refused: 403 when it may use some of those
   * products' instruments, else the answer for a night with nothing held.
   *
   * @throws IngestError FORBIDDEN
   */
  async release(principal: Principal, night: string): Promise<{ night: string; released: IngestStatus[]; failed: ReleaseFailure[] }> {
    return this.#locks.run(`night:${night}`, async () => {
      const held = await this.#held(night);
      const mine = held.filter((h) => isAdmin(principal) || h.site === principal.site);
      const others = held.filter((h) => !mine.includes(h));
      if (mine.length === 0 && others.length > 0) {
        if (others.some((h) => mayUse(principal, h.fileInstrument ?? h.instrument))) {
          throw new IngestError('FORBIDDEN', `the products held for ${night} belong to ${[...new Set(others.map((h) => h.site))].join(', ')}; the token of ${principal.site} may not release them`, {
            context: { night },
          });
        }
        this.#o.logger.warn('refused', { site: principal.site, action: 'release', night, reason: "another site's held batch (not visible to the token)" });
        return { night, released: [], failed: [] };
      }
      const released: IngestStatus[] = [];
      const failed: ReleaseFailure[] = [];
      // Each product on its own: one that cannot be submitted (its upload gone, its id taken…) is reported and
      // leaves the batch; it never blocks the others, nor a later release of the night.
      for (const { site: _site, heldAt: _heldAt, fileInstrument: _instrument, ...product } of mine) {
        try {
          released.push(await this.ingest(principal, { ...product, reingest: product.reingest ?? false, ...declaredProvenance(product) }));
        } catch (error) {
          if (!(error instanceof IngestError) || error.kind === 'transient' || error.kind === 'internal') throw error;
          failed.push({ name: product.name, sha256: product.sha256, code: error.code, message: error.message });
          this.#o.logger.warn('held product not released', { night, file: product.name, code: error.code });
        }
      }
      if (others.length === 0) await rm(join(this.#o.heldDir, `${night}.json`), { force: true });
      else await writeFileAtomic(this.#o.heldDir, `${night}.json`, `${JSON.stringify(others)}\n`, this.#o.fsync);
      return { night, released, failed };
    });
  }
}
