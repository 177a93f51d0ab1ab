/**
 * Archiving a job's products with the same engine as every other file: each product is checked for its provenance
 * cards, copied out of the area into the request's outbox, and submitted at its level with its raw parents. A
 * product the archive already holds byte for byte (a rerun after a crash) is not archived again; a different
 * product under the same name and parent supersedes the old one (a reingest, which keeps the old version).
 * Internal.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IngestError } from '../core/errors.js';
import { provenanceMetadata } from '../core/normalize/product-provenance.js';
import type { ProcessorProduct } from '../core/ports/processor.js';
import type { CalibrationSet } from '../core/processing/calibration-set.js';
import { missingProvenance, type ProvenanceCard } from '../core/processing/provenance.js';
import type { ProcessingRequest } from '../core/processing/request.js';
import { walkFile } from '../io/fits-file.js';
import type { ServiceContext } from './_context.js';

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function checkProduct(request: ProcessingRequest, product: ProcessorProduct, cards: readonly ProvenanceCard[]): Promise<void> {
  const inputs = new Set(request.inputs.map((i) => i.archiveId));
  const stranger = product.parents.find((p) => !inputs.has(p));
  if (product.parents.length === 0 || stranger !== undefined) {
    throw new IngestError('PROCESSOR_FAILED', `product ${basename(product.path)} names parent ${stranger ?? '(none)'}, not an input of the request`, { context: { file: product.path } });
  }
  const { hdus } = await walkFile(product.path);
  const header = hdus[0]!.header;
  const missing = missingProvenance(cards, (k) => header.get(k));
  if (missing.length > 0) {
    throw new IngestError('PROCESSOR_FAILED', `product ${basename(product.path)} lacks the provenance keywords ${missing.join(', ')} (or holds other values)`, {
      context: { file: product.path, hdu: 0, keyword: missing[0] },
      hint: "write every card of the manifest's provenance list into each product's primary header",
    });
  }
}

/** A product copied out of its area, waiting to be archived. */
export interface StagedProduct {
  product: ProcessorProduct;
  /** Its copy in the request's outbox. */
  path: string;
}

/** Checks every product and copies it into the request's outbox, so the area can be cleaned and reused at once. */
export async function stageProducts(ctx: ServiceContext, request: ProcessingRequest, products: readonly ProcessorProduct[], cards: readonly ProvenanceCard[]): Promise<StagedProduct[]> {
  const outbox = join(ctx.outbox, request.id);
  const staged: StagedProduct[] = [];
  for (const [index, product] of products.entries()) {
    await checkProduct(request, product, cards);
    // One folder per product: pipelines may name every product alike (archive ids come from the parent).
    await mkdir(join(outbox, String(index + 1)), { recursive: true });
    const path = join(outbox, String(index + 1), basename(product.path));
    // Moved, not copied, when the outbox is on the area's filesystem (the area is emptied next anyway).
    await rename(product.path, path).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EXDEV') throw error;
      await copyFile(product.path, path);
    });
    staged.push({ product, path });
  }
  return staged;
}

/**
 * Archives staged products; resolves to their archive ids, in order. Each product's catalog entry keeps its
 * provenance: its raw parents (role `science`) and the calibration set's files (their roles), the processor's name
 * and version, and the calibration set, its version and the request as parameters.
 */
export async function archiveProducts(ctx: ServiceContext, request: ProcessingRequest, staged: readonly StagedProduct[], set: CalibrationSet): Promise<string[]> {
  const ids: string[] = [];
  for (const { product, path } of staged) {
    const name = basename(path);
    const siblings = await ctx.catalog.findArchived({ parent: product.parents[0]!, level: product.level });
    const existing = siblings.find((f) => f.originalName === name);
    let archiveId: string;
    if (existing && existing.sourceSha256 === (await sha256Of(path))) archiveId = existing.archiveId;
    else archiveId = await ingest(ctx, request, product, path, existing !== undefined, set);
    ids.push(archiveId);
    const history = await ctx.store.productHistory(archiveId);
    const file = await ctx.catalog.getArchived(archiveId);
    if (!file) throw new IngestError('INTERNAL', `product ${archiveId} is not in the catalog after archiving`);
    if (history.at(-1)?.sha256 === file.sha256) continue; // the same product, recorded by an earlier attempt
    await ctx.store.addProduct({
      archiveId, requestId: request.id, parents: product.parents, inputDigests: request.inputs.filter((i) => product.parents.includes(i.archiveId)).map((i) => i.sha256),
      observedAt: request.inputs.find((i) => i.archiveId === product.parents[0])!.observedAt, instrument: request.instrument,
      calibrationSetId: request.choice!.setId, processor: request.processor, sha256: file.sha256, archivedAt: file.archivedAt,
    });
  }
  return ids;
}

async function ingest(ctx: ServiceContext, request: ProcessingRequest, product: ProcessorProduct, path: string, supersede: boolean, set: CalibrationSet): Promise<string> {
  const provenance = provenanceMetadata({
    parents: [...product.parents.map((archiveId) => ({ archiveId, role: 'science' })), ...set.files.map((f) => ({ archiveId: f.archiveId, role: f.role.toLowerCase() }))],
    pipeline: { name: request.processor.name, version: request.processor.version },
    parameters: { calibrationSet: set.id, calibrationVersion: set.version, request: request.id, ...(request.mode ? { mode: request.mode } : {}) },
  });
  const submission = await ctx.ingestor.submit({
    path, trigger: 'reprocess', detectedAt: ctx.now(), complete: true, level: product.level, parents: product.parents, instrument: request.instrument,
    metadata: { request: request.id, ...provenance, ...(supersede ? { reingest: true } : {}) },
  });
  if (submission.alreadyArchived && submission.record.archiveId) return submission.record.archiveId;
  const [record] = await ctx.ingestor.settled([submission.record.id]);
  if (record?.state === 'ARCHIVED' && record.archiveId) return record.archiveId;
  if (record?.state === 'DUPLICATE' && record.duplicateOf) {
    const original = await ctx.catalog.getRecord(record.duplicateOf);
    if (original?.archiveId) return original.archiveId;
  }
  throw new IngestError('PROCESSOR_FAILED', `product ${basename(path)} was not archived: ${record?.state} ${record?.error?.code ?? ''} ${record?.error?.message ?? ''}`.trim(), { context: { file: path } });
}
