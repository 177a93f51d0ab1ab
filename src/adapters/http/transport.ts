/**
 * The observatory's end of the HTTP link: a {@link Transport} that ships prepared files to a fits-ingest ingest
 * server (`fits-ingest serve`, or {@link createIngestServer} in a host) and, by default, waits for the
 * archive's verdict, so that a file counts as TRANSFERRED only once the archive verified the bytes (its digest
 * echoed back) and ARCHIVED only once the archive committed it.
 *
 * Files are sent with `prepared: true`: the archive keeps their archive id and bytes. Uploads up to
 * `oneShotMaxBytes` go in one request; larger ones are resumable (after a dropped connection the client asks
 * the server for its offset and continues from there). Transient failures (connection errors, 5xx, 429, a
 * digest mismatch on arrival) are retried with exponential backoff and jitter; authentication, validation and
 * conflicts are not. Sending the same file again is idempotent.
 *
 * @example
 * ```ts
 * const transport = createHttpTransport({ url: 'https://archive.example.org:8443', token: process.env.FITS_INGEST_TOKEN })
 * const ingestor = createIngestor({ instruments, catalog, triggers: [watcher], transports: [transport], staging })
 * ```
 *
 * @module
 */
import { z } from 'zod';
import { IngestError, toIngestError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/ports/logger.js';
import type { TransferReceipt, TransferRequest, Transport } from '../../core/ports/transport.js';
import { parseOptions } from '../_shared/options.js';
import { IngestClient } from './client.js';
import { ARCHIVE_ID, FILE_NAME, API, type FileMeta, type IngestStatus } from './protocol.js';

export { createWebhookHandler, verifyWebhook, type CallbackPayload, type IngestStatus, type Metrics, type VerifyWebhookOptions, type WebhookHandlerOptions } from './webhook.js';

/** Name of the HTTP transport. */
export const HTTP_TRANSPORT = 'http';

/** What the transport asks of the archive once the bytes arrived. */
export const INGEST_MODES = ['wait', 'request', 'none'] as const;

const httpTransportOptionsSchema = z.strictObject({
  /** Base URL of the ingest server, e.g. `https://archive.example.org:8443`. */
  url: z.url({ protocol: /^https?$/ }),
  /** Bearer token (push scope). @default undefined (no Authorization header) */
  token: z.string().min(1).optional(),
  /** CA certificate(s) (PEM) to trust for an https URL, e.g. a self-signed server's. @default the system CAs */
  ca: z.union([z.string().min(1), z.instanceof(Buffer)]).optional(),
  /**
   * `wait`: ask for ingestion and wait until the archive committed the file (or refused it);
   * `request`: ask for ingestion and return once the bytes are verified (the outcome comes by callback);
   * `none`: only deliver verified bytes. @default 'wait'
   */
  ingest: z.enum(INGEST_MODES).default('wait'),
  /** Transfers at once through this transport. @default 4 */
  concurrency: z.int().min(1).max(256).default(4),
  /** Files up to this size are sent in one request; larger ones as resumable uploads. @default 8388608 */
  oneShotMaxBytes: z.int().min(0).default(8 << 20),
  timeouts: z
    .strictObject({
      /** Time limit to connect (and for the TLS handshake). @default 10000 */
      connectMs: z.int().min(1).default(10_000),
      /** A connection that sends or receives nothing this long fails (and is retried). @default 120000 */
      idleMs: z.int().min(1000).default(120_000),
      /** `ingest: 'wait'`: how long the archive may take to commit a file before the attempt fails (TIMEOUT). @default 900000 */
      archiveMs: z.int().min(1).default(900_000),
    })
    .prefault({}),
  retry: z
    .strictObject({
      /** Attempts per request in all; an upload that makes progress gets its attempts back. @default 8 */
      maxAttempts: z.int().min(1).default(8),
      /** Delay before the second attempt; doubles each time, with jitter. @default 500 */
      baseDelayMs: z.int().min(0).default(500),
      /** Longest delay between attempts. @default 30000 */
      maxDelayMs: z.int().min(0).default(30_000),
    })
    .prefault({}),
  /** The transport's name (in catalog locations). @default 'http' */
  name: z.string().min(1).default(HTTP_TRANSPORT),
});

/** Options of {@link createHttpTransport}. */
export type HttpTransportOptions = z.input<typeof httpTransportOptionsSchema> & {
  /** Retries and resumptions are logged at warn/info. @default silentLogger */
  logger?: Logger;
  /** Uniform random numbers for jitter. @default Math.random */
  random?: () => number;
};

const nameFor = (request: TransferRequest): string => (FILE_NAME.test(request.originalName) ? request.originalName : `${request.archiveId}.fits`);

function parentsOf(request: TransferRequest): string[] {
  const parents = request.sidecar['parents'];
  return Array.isArray(parents) ? parents.filter((p): p is string => typeof p === 'string' && ARCHIVE_ID.test(p)) : [];
}

/** Checks the archive's final verdict on a file sent as `request`; returns whether it held the bytes already. */
function verdict(request: TransferRequest, status: IngestStatus): boolean {
  const context = { file: request.path, archiveId: request.archiveId, recordId: status.recordId };
  const remote = `the archive's record ${status.recordId}`;
  switch (status.state) {
    case 'ARCHIVED':
    case 'SUPERSEDED':
      if (status.archiveId !== request.archiveId) {
        throw new IngestError('ARCHIVE_ID_CONFLICT', `${remote} archived the file as ${status.archiveId}, not ${request.archiveId}`, { context });
      }
      if (status.sha256 !== request.sha256) throw new IngestError('DIGEST_MISMATCH', `${remote} archived bytes with SHA-256 ${status.sha256}`, { context });
      return status.alreadyArchived;
    case 'DUPLICATE':
      if (status.duplicateOf?.archiveId === request.archiveId) return true;
      throw new IngestError('ARCHIVE_ID_CONFLICT', `the archive holds these bytes as ${status.duplicateOf?.archiveId ?? '(unknown)'}`, { context });
    case 'ABANDONED':
      throw new IngestError('REMOTE_ABANDONED', `${remote} gave up: ${status.error?.code ?? ''} ${status.error?.message ?? ''}`.trim(), { context: { ...context, remoteCode: status.error?.code ?? null } });
    default:
      throw new IngestError('REMOTE_REJECTED', `${remote} is ${status.state}: ${status.error?.code ?? ''} ${status.error?.message ?? ''}`.trim(), {
        context: { ...context, remoteCode: status.error?.code ?? null },
      });
  }
}

/**
 * A transport to a fits-ingest ingest server over HTTP(S). Large files go as resumable uploads; the server
 * places files atomically.
 *
 * @throws IngestError INVALID_OPTIONS for bad options.
 */
export function createHttpTransport(input: HttpTransportOptions): Transport {
  const { logger = silentLogger, random = Math.random, ...rest } = input;
  const options = parseOptions(httpTransportOptionsSchema, rest, 'the HTTP transport');
  const client = new IngestClient({
    url: options.url,
    token: options.token,
    ca: options.ca,
    concurrency: options.concurrency,
    oneShotMaxBytes: options.oneShotMaxBytes,
    timeouts: { connectMs: options.timeouts.connectMs, idleMs: options.timeouts.idleMs },
    retry: options.retry,
    logger,
    random,
  });
  const waitSeconds = Math.max(1, Math.min(30, Math.floor(options.timeouts.idleMs / 2000)));

  const transfer = async (request: TransferRequest, signal?: AbortSignal): Promise<TransferReceipt> => {
    const startedAt = Date.now();
    if (signal?.aborted) throw new IngestError('ABORTED', 'the transfer was cancelled', { context: { file: request.path } });
    const meta: FileMeta = {
      sha256: request.sha256,
      size: request.size,
      name: nameFor(request),
      archiveId: request.archiveId,
      instrument: request.instrument,
      level: request.level,
      parents: parentsOf(request),
      hdus: request.hdus,
      prepared: true,
      replace: request.replace ?? false,
    };
    return client.limit(async () => {
      const asking = options.ingest !== 'none';
      const received = await client.upload(request.path, meta, signal, asking ? { wait: options.ingest === 'wait' ? waitSeconds : 0 } : undefined);
      let alreadyPresent = received.status === 'present';
      if (asking) {
        const { size: _size, hdus: _hdus, replace, ...fields } = meta;
        let status = received.ingest ?? (await client.ingest({ ...fields, reingest: replace, wait: options.ingest === 'wait' ? waitSeconds : 0 }, signal));
        if (options.ingest === 'wait') {
          status = await client.waitFinal(status, options.timeouts.archiveMs, waitSeconds, signal);
          alreadyPresent = verdict(request, status) || alreadyPresent;
        }
      }
      const location = `${options.url.replace(/\/+$/, '')}${API}/files/${request.archiveId}`;
      return { location, sha256: received.sha256, size: received.size, alreadyPresent, startedAt, finishedAt: Date.now() };
    });
  };

  return {
    name: options.name,
    transfer: async (request, signal) => {
      try {
        return await transfer(request, signal);
      } catch (error) {
        throw toIngestError(error, { file: request.path, archiveId: request.archiveId });
      }
    },
    close: async () => client.close(),
  };
}
