/**
 * STABLE → PREPARED: validate, identify the instrument, normalize, detect duplicates, and write the normalized
 * copy to the staging area with fresh DATASUM/CHECKSUM in every HDU.
 *
 * The source is read front to back once for its structure, every HDU's DATASUM and its SHA-256, through the file
 * port's byte pump (`FileAccess.pump`: a file that ends early or grows while it is read is SOURCE_CHANGED at its
 * offset); a source up to {@link KEEP_IN_MEMORY} stays in memory and the copy is written from there, so it is read
 * from disk once. The staged copy is then written sequentially (headers are final before any data is written,
 * because the data sums are already known), hashing what is written; larger sources are read again for it. The source file is only ever read. The copy is a pure function of the source,
 * the instrument description and the record, so preparing again gives the same bytes.
 */
import { IngestError, toIngestError } from '../errors.js';
import { applyChecksums, HduChecksummer, verifyHduSums, type HduSumResult } from '../checksum/hdu-checksums.js';
import { classifyViolation, DEFAULT_CONFORMANCE, judgeConformance } from '../fits/conformance.js';
import { dataFill, HduStreamParser } from '../fits/hdu-stream.js';
import type { FileRecord, RecordWarning } from '../lifecycle/record.js';
import type { LifecycleEvent } from '../lifecycle/transition.js';
import { extractColumns } from '../normalize/columns.js';
import { archiveIdValue, normalizeHeader, type NormalizedHeader } from '../normalize/normalize.js';
import { isCalendarDate, nightOf } from '../normalize/night.js';
import { utSecondsFromTime } from '../instruments/archive-id.js';
import type { Header } from '../fits/header.js';
import type { InstrumentDescription } from '../instruments/schema.js';
import { findInstrument } from '../instruments/find-instrument.js';
import { isPathAccepted } from '../instruments/path-filter.js';
import type { ChunkObserver, FileStat } from '../ports/files.js';
import { failure, fitsWarnings, instrumentNamed, isReingest, joinPath, type StepContext, type StepOutcome } from './_context.js';
import { productArchiveId } from '../normalize/product-id.js';
import { provenanceOf, type Provenance } from '../normalize/product-provenance.js';

function changed(record: FileRecord): { event: LifecycleEvent } {
  const error = new IngestError('SOURCE_CHANGED', 'the file changed after it was found stable', { context: { file: record.source } });
  return { event: failure(error, 'prepare', 'DETECTED') };
}

/** True for files another fits-ingest site already normalized (they arrive with their archive id). */
/** The provenance a product's record carries, for the normalization context. */
function withProvenance(record: FileRecord): { provenance?: Provenance } {
  const provenance = provenanceOf(record.metadata);
  return provenance ? { provenance } : {};
}

function isPreparedUpstream(record: FileRecord): boolean {
  return record.metadata['prepared'] === true;
}

/**
 * A file normalized upstream keeps its header: the archive id and night are read from it, only the checksums
 * are refreshed.
 */
function upstream(header: Header, description: InstrumentDescription): Pick<NormalizedHeader, 'header' | 'archiveId' | 'date' | 'night' | 'warnings'> {
  const keyword = description.outputKeywords.archiveId;
  const id = header.get(keyword);
  const date = header.get('DATE-OBS');
  if (typeof id !== 'string' || !/^[A-Za-z0-9._-]+$/.test(id) || typeof date !== 'string' || !isCalendarDate(date.slice(0, 10))) {
    throw new IngestError('ARCHIVE_ID_FAILED', `a file sent as already prepared must carry ${keyword} and DATE-OBS`, {
      context: { keyword },
    });
  }
  // The night by the site's rule, from DATE-OBS's time or the UT keyword (the UT date when neither reads).
  const ut = header.get(description.keywordMap['UTC']?.[0] ?? 'UTC');
  const seconds = utSecondsFromTime(date.length > 10 ? date.slice(11).replace(/Z$/, '') : typeof ut === 'string' ? ut : '') ?? 0;
  const night = nightOf(description.site, date.slice(0, 10), seconds);
  return { header: header.clone(), archiveId: id.replace(/\.fits$/, ''), date: date.slice(0, 10), night, warnings: [] };
}

function hasValidSums(sums: HduSumResult): boolean {
  const report = verifyHduSums(sums);
  return report.datasumStatus === 'ok' && report.checksumStatus === 'ok';
}

/**
 * A trigger may announce the size and SHA-256 the sender computed (mail announcements do): bytes that differ are
 * not the file that was announced.
 */
function announcedMismatch(record: FileRecord, size: number, sha256: string): IngestError | undefined {
  const wantSize = record.metadata['announcedSize'];
  const wantSha = record.metadata['announcedSha256'];
  const problem =
    typeof wantSize === 'number' && wantSize !== size
      ? `the file has ${size} bytes, the announcement said ${wantSize}`
      : typeof wantSha === 'string' && wantSha.toLowerCase() !== sha256
        ? `its SHA-256 is ${sha256}, the announcement said ${wantSha}`
        : undefined;
  return problem === undefined ? undefined : new IngestError('CHECKSUM_MISMATCH', problem, { context: { file: record.source } });
}


/**
 * Sources up to this size are read once and kept in memory from validation to the staged copy (one read instead
 * of two); larger ones are read again for the copy. Bounded per file in flight, released after the step.
 */
export const KEEP_IN_MEMORY = 16 * 1024 * 1024;

export async function prepare(ctx: StepContext, record: FileRecord): Promise<StepOutcome> {
  const source = record.source;
  const before = await ctx.files.stat(source);
  if (!before || before.size !== record.size || before.mtimeMs !== record.mtimeMs) return changed(record);

  // Pass 1: structure, DATASUM of every HDU, SHA-256 of the whole source.
  const checksummer = new HduChecksummer();
  // A missing last fill is padded in the sums from the start; the instrument's policy decides below whether the
  // copy is padded the same way or the file is refused.
  const parser = new HduStreamParser(checksummer, { file: source, totalSize: before.size, repairFill: true });
  const sourceHash = ctx.files.sha256();
  const read = await readSource(ctx, record, before.size, [sourceHash, { update: (chunk) => parser.push(chunk) }], () => parser.end());
  if ('event' in read) return read;
  try {
    return await prepareRead(ctx, record, before, { checksummer, parser, sourceSha256: sourceHash.digest(), kept: read.bytes });
  } finally {
    read.release();
  }
}

/** What pass 1 found, for {@link prepareRead}. */
interface FirstPass {
  checksummer: HduChecksummer;
  parser: HduStreamParser;
  sourceSha256: string;
  /** The whole source, when it was small enough to keep in memory. */
  kept: Uint8Array | undefined;
}

/**
 * Reads the source once for pass 1, through the port's pump when it has one (a small source is kept in memory for
 * the copy), else through `read()` with a stat after (a file that changed meanwhile is read again later).
 */
async function readSource(
  ctx: StepContext,
  record: FileRecord,
  size: number,
  observers: ChunkObserver[],
  end: () => void,
): Promise<{ bytes?: Uint8Array; release(): void } | { event: LifecycleEvent }> {
  const source = record.source;
  let read: { bytes?: Uint8Array; release(): void } = { release: () => {} };
  try {
    if (ctx.files.pump) read = await ctx.files.pump(source, { length: size, observers, keep: size <= KEEP_IN_MEMORY });
    else {
      let sourceRead = 0;
      for await (const chunk of ctx.files.read(source)) {
        sourceRead += chunk.length;
        for (const observer of observers) observer.update(chunk);
      }
      // Fewer (or more) bytes than stat said is not a truncated file but a read that went wrong or a file rewritten
      // under us: transient, prepared again (never INVALID). The pump enforces the length itself.
      if (sourceRead !== size) return changed(record);
    }
    end();
  } catch (error) {
    read.release();
    const e = toIngestError(error, { file: source });
    return { event: failure(e, 'prepare', e.code === 'SOURCE_CHANGED' ? 'DETECTED' : undefined) };
  }
  // Rewritten in place with the same size, or replaced, while it was read: read it again later.
  const after = await ctx.files.stat(source);
  if (!after || after.size !== size || after.mtimeMs !== record.mtimeMs) {
    read.release();
    return changed(record);
  }
  return read;
}

async function prepareRead(ctx: StepContext, record: FileRecord, before: FileStat, first: FirstPass): Promise<StepOutcome> {
  // Timestamps written into the copy come from the record, not the clock: preparing the same source again (after
  // a crash lost the staged copy) then gives the same bytes, which the archive already holds — idempotent.
  const now = record.createdAt;
  const source = record.source;
  const { checksummer, parser, sourceSha256, kept } = first;
  const announced = announcedMismatch(record, before.size, sourceSha256);
  if (announced) return { event: failure(announced, 'prepare') };
  const hdus = checksummer.results;
  const primary = hdus[0]!.hdu.header;

  const description = instrumentNamed(ctx, record.instrument) ?? findInstrument(ctx.instruments, primary) ?? ctx.fallbackInstrument;
  if (!description) {
    const instrume = primary.get('INSTRUME');
    const error = new IngestError('UNKNOWN_INSTRUMENT', `no instrument description matches INSTRUME = ${instrume === undefined ? '(missing)' : JSON.stringify(instrume)}`, {
      context: { file: source, keyword: 'INSTRUME' },
    });
    return { event: failure(error, 'prepare') };
  }
  if (!isPathAccepted(description.paths, source)) {
    const error = new IngestError('PATH_REJECTED', `${description.name} does not accept this path`, { context: { file: source } });
    return { event: failure(error, 'prepare') };
  }

  // Validate before copying: every check that can refuse the file runs before anything is staged or archived.
  // Descriptions built by hand rather than parsed may lack the field: they get the documented defaults.
  const policy = { ...DEFAULT_CONFORMANCE, outOfRange: 'null', ...(description.conformance as Partial<InstrumentDescription['conformance']> | undefined) };
  const nonconforming = judgeConformance(parser.warnings, policy, { file: source });
  if (nonconforming) return { event: failure(nonconforming, 'prepare') };
  const repaired = new Set(parser.warnings.filter((w) => classifyViolation(w) === 'fill').map((w) => w.hdu ?? 0));

  let normalized: Pick<NormalizedHeader, 'header' | 'archiveId' | 'date' | 'night' | 'warnings'>;
  try {
    normalized = isPreparedUpstream(record) ? upstream(primary, description) : normalizeHeader(primary, description, {
      originalName: record.originalName,
      mtimeMs: before.mtimeMs,
      level: record.level,
      now,
      software: ctx.software,
      commentPrefix: ctx.commentPrefix,
      digest: sourceSha256,
      extensions: hdus.slice(1).map((h) => h.hdu.header),
      ...withProvenance(record),
    });
  } catch (error) {
    return { event: failure(toIngestError(error, { file: source }), 'prepare') };
  }
  let archiveId = normalized.archiveId;
  if (record.level > 0 && !isPreparedUpstream(record)) {
    // Products are named after their raw parent (KOA style: KB.20260101.12345.67_icubed).
    archiveId = productArchiveId(record.parents[0] ?? archiveId, record.originalName);
    normalized.header.set(description.outputKeywords.archiveId, archiveIdValue(description, archiveId));
  }

  // Columns are read before staging: the staged extension headers differ from the source's only in CHECKSUM and
  // DATASUM, which no keyword table catalogs.
  const columns = extractColumns(description, normalized.header, [normalized.header, ...hdus.slice(1).map((h) => h.hdu.header)]);
  const outOfRange = columns.warnings.filter((w) => w.code === 'VALUE_OUT_OF_RANGE');
  if (outOfRange.length > 0 && policy.outOfRange === 'reject') {
    const hduOf = (keyword: string | undefined): number | string => description.keywordTable.find((e) => e.keyword === keyword)?.hdu ?? 0;
    const first = hduOf(outOfRange[0]!.keyword);
    const error = new IngestError('VALUE_OUT_OF_RANGE', outOfRange.map((w) => `HDU ${hduOf(w.keyword)}: ${w.message.replace(/; stored as null.*$/, '')}`).join('; '), {
      context: { file: source, ...(typeof first === 'number' ? { hdu: first } : {}), keyword: outOfRange[0]!.keyword },
    });
    return { event: failure(error, 'prepare') };
  }

  if (!isReingest(record)) {
    const [same] = await ctx.catalog.findArchived({ sourceSha256, limit: 1 });
    if (same) {
      return { event: { type: 'DUPLICATE', of: same.recordId, message: `identical to ${same.archiveId} (archived from ${same.source})` } };
    }
    const taken = await ctx.catalog.getArchived(archiveId);
    if (taken) {
      const error = new IngestError('ARCHIVE_ID_CONFLICT', `archive id ${archiveId} already holds a different file (from ${taken.source})`, {
        context: { file: source },
      });
      return { event: failure(error, 'prepare') };
    }
  }

  // Pass 2: the staged copy — normalized primary header, refreshed sums in every HDU, data bytes unchanged.
  const staged = joinPath(ctx.staging, `${archiveId}.${record.id}.fits`);
  const part = `${staged}.part`;
  const out = await ctx.files.create(part);
  const stagedHash = ctx.files.sha256();
  const stagedHeaders: Header[] = [];
  let stagedSize = 0;
  try {
    for (const sums of hdus) {
      const { hdu, datasum } = sums;
      // An HDU whose header we did not change and whose sums already hold keeps its bytes exactly.
      const untouched = (hdu.index > 0 || isPreparedUpstream(record)) && hasValidSums(sums) && !repaired.has(hdu.index);
      const header = hdu.index === 0 ? normalized.header : hdu.header.clone();
      const final = untouched ? hdu.header : applyChecksums(header, datasum, now);
      const bytes = final.toBytes();
      stagedHeaders.push(final);
      await out.write(bytes);
      stagedHash.update(bytes);
      stagedSize += bytes.length;
      const end = Math.min(hdu.dataOffset + hdu.layout.paddedSize, before.size);
      if (end > hdu.dataOffset && kept) {
        const data = kept.subarray(hdu.dataOffset, end);
        await out.write(data);
        stagedHash.update(data);
        stagedSize += data.length;
      } else if (end > hdu.dataOffset) {
        for await (const chunk of ctx.files.read(source, { start: hdu.dataOffset, end })) {
          await out.write(chunk);
          stagedHash.update(chunk);
          stagedSize += chunk.length;
        }
      }
      // A last data unit without its fill is padded as the checksummer already counted it (missingFill: repair).
      const missing = hdu.dataOffset + hdu.layout.paddedSize - Math.max(end, hdu.dataOffset);
      if (missing > 0) {
        const fill = dataFill(hdu.layout.kind, missing);
        await out.write(fill);
        stagedHash.update(fill);
        stagedSize += fill.length;
      }
    }
    await out.close();
  } catch (error) {
    await out.close().catch(() => {});
    await ctx.files.remove(part);
    throw error;
  }
  await ctx.files.rename(part, staged);
  ctx.staged.set(record.id, {
    primary: stagedHeaders[0]!,
    headers: stagedHeaders,
    hdus: stagedHeaders.map((h, index) => ({ index, datasum: hdus[index]!.datasum, checksum: String(h.get('CHECKSUM')) })),
  });

  const warnings: RecordWarning[] = [
    ...fitsWarnings(parser.warnings),
    ...normalized.warnings,
    ...columns.warnings,
  ];
  return {
    event: {
      type: 'PREPARED',
      instrument: description.name,
      archiveId,
      night: normalized.night,
      sourceSha256,
      staged,
      sha256: stagedHash.digest(),
      stagedSize,
      warnings,
    },
  };
}
