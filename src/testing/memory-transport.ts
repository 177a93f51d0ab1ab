/**
 * An in-memory Transport: the archive is a map of archive id → versions of bytes. It reads the staged copy
 * through a FileAccess port (the in-memory one, or `nodeFiles()`), verifies its SHA-256 like a real transport,
 * keeps every version on a reingest, and records what the engine did with it: transfers in flight (the most at
 * once), closes, discards. Faults: the next transfers fail, or hang until released.
 *
 * @module
 */
import { IngestError } from '../core/errors.js';
import type { FileAccess } from '../core/ports/files.js';
import type { DiscardTarget, TransferReceipt, TransferRequest, Transport } from '../core/ports/transport.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** Where staged copies are read from. */
  files: FileAccess;
  /** The transport's name. @default 'memory' */
  name?: string;
  /** Receipt times. @default Date.now */
  now?: () => number;
}

/** One stored version. */
export interface MemoryArchived {
  bytes: Uint8Array;
  sha256: string;
  location: string;
}

/** A transport into memory, with counters and faults for tests. */
export interface MemoryTransport extends Transport {
  /** Every version stored under an archive id, oldest first. */
  versions(archiveId: string): MemoryArchived[];
  /** The next `times` transfers throw `error` (before any byte is stored). */
  failNext(error: Error, times?: number): void;
  /** Later transfers wait until the returned function is called (or their signal aborts). */
  hold(): () => void;
  /** Transfers running now, and the most that ever ran at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Transfers finished (receipts given), closes and discards seen. */
  readonly transfers: number;
  readonly closes: number;
  readonly discarded: DiscardTarget[];
}

/** `gate`, or a rejection when `signal` aborts first (a held transfer still honours the engine's abort). */
function untilAborted(gate: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return gate;
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void gate.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** ABORTED when the engine aborted the transfer (nothing is stored then). */
function checkAborted(signal: AbortSignal | undefined, request: TransferRequest): void {
  if (signal?.aborted) throw new IngestError('ABORTED', `the transfer of ${request.archiveId} was aborted`, { context: { file: request.path } });
}

/** Creates an empty in-memory archive. */
export function createMemoryTransport(options: MemoryTransportOptions): MemoryTransport {
  const name = options.name ?? 'memory';
  const now = options.now ?? Date.now;
  const archive = new Map<string, MemoryArchived[]>();
  const failures: { error: Error; times: number }[] = [];
  const held: Promise<void>[] = [];
  const discarded: DiscardTarget[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let transfers = 0;
  let closes = 0;

  async function readStaged(request: TransferRequest, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; sha256: string }> {
    const hash = options.files.sha256();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of options.files.read(request.path)) {
      checkAborted(signal, request);
      hash.update(chunk);
      chunks.push(chunk.slice());
      size += chunk.length;
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return { bytes, sha256: hash.digest() };
  }

  return {
    name,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get transfers() {
      return transfers;
    },
    get closes() {
      return closes;
    },
    discarded,
    versions: (archiveId) => (archive.get(archiveId) ?? []).map((v) => ({ ...v, bytes: v.bytes.slice() })),
    failNext(error, times = 1) {
      failures.push({ error, times });
    },
    hold() {
      let release!: () => void;
      const gate = new Promise<void>((done) => (release = done));
      held.push(gate);
      return () => {
        held.splice(held.indexOf(gate), 1);
        release();
      };
    },

    async transfer(request, signal): Promise<TransferReceipt> {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const startedAt = now();
      try {
        for (const gate of [...held]) await untilAborted(gate, signal).catch(() => checkAborted(signal, request));
        checkAborted(signal, request);
        const failure = failures[0];
        if (failure) {
          if (--failure.times <= 0) failures.shift();
          throw failure.error;
        }
        const { bytes, sha256 } = await readStaged(request, signal);
        checkAborted(signal, request);
        const context = { file: request.path, archiveId: request.archiveId };
        if (sha256 !== request.sha256 || bytes.length !== request.size) {
          throw new IngestError('DIGEST_MISMATCH', `the staged copy has SHA-256 ${sha256} (${bytes.length} bytes), not ${request.sha256}`, { context });
        }
        const versions = archive.get(request.archiveId) ?? [];
        const current = versions.at(-1);
        let alreadyPresent = false;
        let location: string;
        if (current?.sha256 === sha256) {
          alreadyPresent = true;
          location = current.location;
        } else if (current && !request.replace) {
          throw new IngestError('ARCHIVE_ID_CONFLICT', `${request.archiveId} already holds other bytes in the memory archive`, { context });
        } else {
          location = `memory://${name}/${request.archiveId}${versions.length > 0 ? `;${versions.length + 1}` : ''}`;
          archive.set(request.archiveId, [...versions, { bytes, sha256, location }]);
        }
        transfers++;
        return { location, sha256, size: bytes.length, alreadyPresent, startedAt, finishedAt: now() };
      } finally {
        inFlight--;
      }
    },

    async discard(target) {
      discarded.push(target);
      const versions = archive.get(target.archiveId) ?? [];
      const kept = versions.filter((v) => target.keep.includes(v.location) || v.sha256 !== target.sha256);
      if (kept.length > 0) archive.set(target.archiveId, kept);
      else archive.delete(target.archiveId);
    },

    async close() {
      closes++;
    },
  };
}
