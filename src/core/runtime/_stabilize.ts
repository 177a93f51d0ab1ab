/**
 * DETECTED → STABLE: wait until writing has finished. A file is stable when its size and mtime have not changed
 * for `quietMs` (skipped when the trigger announced it complete) and its FITS structure is whole: every HDU the
 * headers declare is in the file. Instruments that write slowly, with pauses, keep the file DETECTED as long as
 * it grows or stays structurally incomplete; a file that stays incomplete and unchanged for `settleMs` is INVALID
 * with the structural code (TRUNCATED, EMPTY_FILE, …).
 */
import { IngestError, isIngestError, toIngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import { failure, walkThroughFiles, type StepContext, type StepOutcome } from './_context.js';

export async function stabilize(ctx: StepContext, record: FileRecord): Promise<StepOutcome> {
  const { quietMs, pollMs, settleMs, appearMs } = ctx.stability;
  const now = ctx.clock.now();
  const complete = record.metadata['complete'] === true;
  const stat = await ctx.files.stat(record.source);
  let seen = ctx.observations.get(record.id);
  if (!stat) {
    const missingSince = seen?.missingSince ?? now;
    ctx.observations.set(record.id, { size: -1, mtimeMs: -1, since: now, missingSince });
    if (now - missingSince < appearMs) return { waitMs: Math.min(pollMs, appearMs) };
    ctx.observations.delete(record.id);
    const error = new IngestError('FILE_NOT_FOUND', `the announced file does not exist (waited ${appearMs} ms)`, {
      context: { file: record.source },
    });
    return { event: failure(error, 'stabilize') };
  }
  if (!seen || seen.size !== stat.size || seen.mtimeMs !== stat.mtimeMs) {
    seen = { size: stat.size, mtimeMs: stat.mtimeMs, since: now };
    ctx.observations.set(record.id, seen);
  }
  const quietFor = now - seen.since;
  if (!complete && quietFor < quietMs) return { waitMs: Math.min(pollMs, quietMs - quietFor) };
  try {
    await walkThroughFiles(ctx, record.source, stat.size);
  } catch (error) {
    const e = toIngestError(error, { file: record.source });
    if (!isIngestError(e) || e.kind !== 'invalid') throw e;
    // Still being written? Give it time, unless the trigger said it is complete or it has settled.
    if (!complete && quietFor < settleMs) return { waitMs: pollMs };
    ctx.observations.delete(record.id);
    return { event: failure(e, 'stabilize') };
  }
  ctx.observations.delete(record.id);
  return { event: { type: 'STABLE', size: stat.size, mtimeMs: stat.mtimeMs } };
}
