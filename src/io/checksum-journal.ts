/**
 * A redo journal for in-place header rewrites. The new bytes are written to `<file>.fits-ingest-journal` and
 * flushed before the file is touched; after a crash, {@link recoverJournal} finishes the job (complete journal) or
 * discards it (incomplete journal: the file was never touched). Either way the file ends wholly old or wholly new.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IngestError, toIngestError } from '../core/errors.js';
import { syncDirectory } from './durable-fs.js';

const MAGIC = 'FITS-INGEST-JOURNAL 1\n';

/** One write to replay: `bytes` at `offset`. */
export interface JournalWrite {
  offset: number;
  bytes: Uint8Array;
}

/** Where the journal of `path` lives. */
export function journalPath(path: string): string {
  return `${path}.fits-ingest-journal`;
}

/** Writes and flushes the journal; fails if one already exists (another update under way, or not recovered). */
export async function writeJournal(path: string, size: number, writes: JournalWrite[]): Promise<void> {
  const payload = Buffer.concat(writes.map((w) => w.bytes));
  const meta = {
    size,
    writes: writes.map((w) => ({ offset: w.offset, length: w.bytes.length })),
    sha256: createHash('sha256').update(payload).digest('hex'),
  };
  const handle = await open(journalPath(path), 'wx');
  try {
    await handle.writeFile(Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(meta)}\n`), payload]));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(path));
}

/** Applies writes to the file and flushes it. */
export async function applyWrites(path: string, writes: JournalWrite[]): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    for (const w of writes) {
      const { bytesWritten } = await handle.write(w.bytes, 0, w.bytes.length, w.offset);
      if (bytesWritten !== w.bytes.length) throw new IngestError('IO_ERROR', `short write at offset ${w.offset}`);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes the journal once the file holds the new bytes. */
export async function removeJournal(path: string): Promise<void> {
  await unlink(journalPath(path));
  await syncDirectory(dirname(path));
}

/**
 * Finishes or discards an interrupted update of `path`. Returns what it did. Safe to call at any time; a no-op
 * when there is no journal.
 */
export async function recoverJournal(path: string): Promise<'none' | 'replayed' | 'discarded'> {
  let raw: Buffer;
  try {
    raw = await readFile(journalPath(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw toIngestError(error, { file: path });
  }
  const newline = raw.indexOf(10, MAGIC.length);
  let writes: JournalWrite[] | undefined;
  if (raw.subarray(0, MAGIC.length).toString('latin1') === MAGIC && newline > 0) {
    try {
      const meta = JSON.parse(raw.subarray(MAGIC.length, newline).toString('utf8')) as {
        writes: { offset: number; length: number }[];
        sha256: string;
      };
      const payload = raw.subarray(newline + 1);
      const total = meta.writes.reduce((n, w) => n + w.length, 0);
      if (payload.length === total && createHash('sha256').update(payload).digest('hex') === meta.sha256) {
        let at = 0;
        writes = meta.writes.map((w) => {
          const bytes = payload.subarray(at, at + w.length);
          at += w.length;
          return { offset: w.offset, bytes };
        });
      }
    } catch {
      writes = undefined;
    }
  }
  if (writes) await applyWrites(path, writes);
  await removeJournal(path);
  return writes ? 'replayed' : 'discarded';
}
