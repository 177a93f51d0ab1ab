/**
 * The wire protocol between the HTTP client (observatory) and the ingest server (archive): paths, header names,
 * the patterns every client-supplied id must match, and the zod schemas of request and response bodies. Both
 * sides import it, so they cannot drift apart. Internal to src/adapters/http; docs/http.md and docs/openapi.yaml
 * describe the same protocol for other clients.
 *
 * @module
 */
import { z } from 'zod';
import { STATES } from '../../core/lifecycle/states.js';
import { provenanceSchema, roleSchema } from '../../core/normalize/product-provenance.js';

/** Prefix of every endpoint. */
export const API = '/v1';

/** Header names (lower case, as Node.js reports them). */
export const HEADERS = {
  /** Bytes the server holds of an upload (HEAD, PATCH responses) or the offset a PATCH starts at (requests). */
  offset: 'upload-offset',
  /** Declared size of an upload. */
  length: 'upload-length',
  /** Webhook signature: `t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">`. */
  signature: 'x-fits-ingest-signature',
  /** Webhook event name (`archived`, `failed`). */
  event: 'x-fits-ingest-event',
  /** Webhook delivery id (the same on every retry of one delivery). */
  delivery: 'x-fits-ingest-delivery',
} as const;

/** Content types accepted for file bytes. */
export const FILE_CONTENT_TYPES = ['application/fits', 'application/octet-stream', 'image/fits'] as const;
/** Content type of PATCH bodies (tus). */
export const PATCH_CONTENT_TYPE = 'application/offset+octet-stream';

/** A lower-case hex SHA-256. */
export const SHA256 = /^[0-9a-f]{64}$/;
/** Upload ids are made by the server: 32 lower-case hex digits. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Archive ids: a safe file-name stem (no separators, no leading dot). */
export const ARCHIVE_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
/** Original file names: one safe path segment (no separators, no leading dot, no `..` alone). */
export const FILE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,254}$/;
/** An observation night. */
export const NIGHT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
/** A FITS CHECKSUM value (16 characters of the FITS encoding). */
const CHECKSUM_VALUE = /^[0-9A-Za-z]{16}$/;

const sha256 = z.string().regex(SHA256, 'a SHA-256 in 64 lower-case hex digits');
const archiveId = z.string().regex(ARCHIVE_ID, 'an archive id of A-Z a-z 0-9 . _ + - (at most 128, not starting with a dot)');
const fileName = z.string().regex(FILE_NAME, 'a file name of A-Z a-z 0-9 . _ + - (no "/", no leading dot)');
const instrument = z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, 'an instrument name');
const level = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** Sums of one HDU as the sender declares them. */
export const hduSumsSchema = z.strictObject({
  index: z.int().min(0),
  datasum: z.int().min(0).max(0xffffffff),
  /** The CHECKSUM value of the header, or '' when the sender does not declare one. */
  checksum: z.union([z.string().regex(CHECKSUM_VALUE), z.literal('')]),
});

/** What a sender declares about a file: `POST /v1/uploads` (JSON body, or query parameters with the bytes). */
export const fileMetaSchema = z.strictObject({
  sha256,
  size: z.int().min(1),
  name: fileName,
  archiveId: archiveId.optional(),
  instrument: instrument.optional(),
  level: level.default(0),
  parents: z.array(archiveId).max(1000).default([]),
  hdus: z.array(hduSumsSchema).max(10_000).default([]),
  /** Normalized by another fits-ingest site: the archive keeps its archive id and bytes. */
  prepared: z.boolean().default(false),
  /** Replace what the archive holds under `archiveId` (an explicit reingest). */
  replace: z.boolean().default(false),
});
export type FileMeta = z.output<typeof fileMetaSchema>;

/** `POST /v1/ingest`. */
export const ingestRequestSchema = z.strictObject({
  sha256,
  name: fileName,
  archiveId: archiveId.optional(),
  instrument: instrument.optional(),
  level: level.default(0),
  parents: z.array(archiveId).max(1000).default([]),
  prepared: z.boolean().default(false),
  reingest: z.boolean().default(false),
  /** Seconds to wait for a final state before answering 202. */
  wait: z.number().min(0).max(3600).default(0),
});
export type IngestRequest = z.output<typeof ingestRequestSchema>;

/** One product of `POST /v1/products`. */
export const productSchema = z.strictObject({
  sha256,
  name: fileName,
  instrument: instrument.optional(),
  level: z.union([z.literal(1), z.literal(2)]),
  parents: z.array(archiveId).min(1).max(1000),
  prepared: z.boolean().default(false),
  /** A new version of a product the archive holds (same name and first parent, new bytes): the old one is kept, SUPERSEDED. */
  reingest: z.boolean().default(false),
  /** Provenance: the role of each parent (`science`, `bias`, `flat`, `arc`…), by archive id. */
  roles: z.record(archiveId, roleSchema).optional(),
  /** Provenance: the pipeline that made the product. */
  pipeline: provenanceSchema.shape.pipeline.unwrap().optional(),
  /** Provenance: the parameters of the reduction (name → string, number, boolean or null). */
  parameters: provenanceSchema.shape.parameters.optional(),
});

/** `POST /v1/products`: products submitted now, or held until `POST /v1/nights/{night}/release`. */
export const productsRequestSchema = z.strictObject({
  products: z.array(productSchema).min(1).max(1000),
  /** Hold the batch until the night is released. */
  hold: z.boolean().default(false),
  night: z.string().regex(NIGHT, 'a night YYYY-MM-DD').optional(),
  wait: z.number().min(0).max(3600).default(0),
});
export type ProductsRequest = z.output<typeof productsRequestSchema>;

/** Timing metrics of one file at the archive (ISO 8601 UTC; null until reached). */
export const metricsSchema = z.object({
  receivedAt: z.string().nullable(),
  queuedAt: z.string().nullable(),
  preparedAt: z.string().nullable(),
  verifiedAt: z.string().nullable(),
  archivedAt: z.string().nullable(),
  /** From the upload's arrival to the catalog commit. */
  receiveToArchiveMs: z.number().nullable(),
});
export type Metrics = z.output<typeof metricsSchema>;

/** The archive's view of one ingestion (`POST /v1/ingest`, `GET /v1/ingest/{recordId}`). */
export const ingestStatusSchema = z.object({
  recordId: z.string(),
  state: z.enum(STATES),
  final: z.boolean(),
  archiveId: z.string().nullable(),
  instrument: z.string().nullable(),
  level: level,
  parents: z.array(z.string()),
  night: z.string().nullable(),
  originalName: z.string(),
  /** SHA-256 of the bytes the archive received. */
  sha256: z.string().nullable(),
  /** SHA-256 and size of the archived copy (equal to the received bytes for prepared files). */
  archivedSha256: z.string().nullable(),
  size: z.number().nullable(),
  /** The archive already held these bytes; nothing was ingested again. */
  alreadyArchived: z.boolean(),
  duplicateOf: z.object({ recordId: z.string(), archiveId: z.string().nullable() }).nullable(),
  error: z.object({ code: z.string(), kind: z.string(), message: z.string() }).nullable(),
  /** Warning codes (kept for older clients); `warningDetails` has their messages. */
  warnings: z.array(z.string()),
  warningDetails: z.array(z.object({ code: z.string(), message: z.string(), keyword: z.string().optional() })).optional(),
  site: z.string().nullable(),
  metrics: metricsSchema,
});
export type IngestStatus = z.output<typeof ingestStatusSchema>;

/** The answer once an upload's bytes are complete and verified (or were already there). */
export const receivedSchema = z.object({
  status: z.enum(['received', 'present']),
  sha256,
  size: z.number(),
  name: z.string(),
  archiveId: z.string().nullable(),
  /** `POST /v1/uploads?ingest=true`: the ingestion it started. */
  ingest: ingestStatusSchema.nullable(),
});
export type Received = z.output<typeof receivedSchema>;

/** `POST /v1/uploads` (JSON) answered 201: where to PATCH the bytes. */
export const uploadCreatedSchema = z.object({
  status: z.literal('created'),
  uploadId: z.string().regex(UPLOAD_ID),
  offset: z.number(),
  size: z.number(),
});

/** The error body of every non-2xx answer. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), detail: z.string().optional(), hint: z.string().optional() }),
});

/** The payload of a webhook delivery. */
export interface CallbackPayload {
  /** `archived` (ARCHIVED, or DUPLICATE of bytes the archive holds), or `failed` (INVALID, ABANDONED). */
  event: 'archived' | 'failed';
  deliveryId: string;
  /** The token's site the file came from. */
  site: string;
  status: IngestStatus;
}
