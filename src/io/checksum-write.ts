/**
 * Adding or refreshing DATASUM and CHECKSUM in every HDU of a file, in place.
 *
 * When every new header fits in the blocks of the old one (the usual case: the keywords exist already, or the
 * header has blank space), only header blocks are rewritten, through a redo journal. When a header must grow, the
 * file is rewritten to a temporary file beside it and renamed over the original. Either way a crash at any
 * instant leaves the original or the complete new file, never a mixture.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IngestError, toIngestError } from '../core/errors.js';
import { applyChecksums } from '../core/checksum/hdu-checksums.js';
import { syncDirectory, writeAll } from './durable-fs.js';
import { fileSink, pump } from './byte-pump.js';
import { sumFile, type SumFileOptions } from './checksum-file.js';
import { applyWrites, recoverJournal, removeJournal, writeJournal, type JournalWrite } from './checksum-journal.js';

/** Options for {@link writeChecksums}. */
export interface WriteChecksumsOptions extends Omit<SumFileOptions, 'sha256'> {
  /** Time written in the keyword comments, epoch ms. @default Date.now() */
  now?: number;
  /**
   * @internal Test hook called between the steps of an update, to simulate crashes.
   */
  onStage?: (stage: 'journal-written' | 'headers-written' | 'temp-written') => void | Promise<void>;
}

/** What {@link writeChecksums} did. */
export interface WriteChecksumsResult {
  file: string;
  /** `in-place`: header blocks rewritten; `rewrite`: whole file rewritten (a header grew); `unchanged`. */
  mode: 'in-place' | 'rewrite' | 'unchanged';
  hdus: { hdu: number; datasum: number; checksum: string }[];
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds or refreshes DATASUM and CHECKSUM in every HDU of a file.
 *
 * @example
 * ```ts
 * const { mode, hdus } = await writeChecksums('frame.fits')
 * ```
 */
export async function writeChecksums(path: string, options: WriteChecksumsOptions = {}): Promise<WriteChecksumsResult> {
  const { now = Date.now(), onStage, ...sumOptions } = options;
  try {
    await recoverJournal(path);
    const before = await stat(path);
    const sums = await sumFile(path, sumOptions);
    const plans = sums.hdus.map(({ hdu, datasum }) => {
      const header = applyChecksums(hdu.header.clone(), datasum, now);
      return { hdu, datasum, header, bytes: header.toBytes(), checksum: String(header.get('CHECKSUM')) };
    });
    const hdus = plans.map((p) => ({ hdu: p.hdu.index, datasum: p.datasum, checksum: p.checksum }));
    const after = await stat(path);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      throw new IngestError('CONFLICT', 'the file changed while its checksums were being computed', {
        context: { file: path },
        hint: 'wait until the writer has finished, then run the update again',
      });
    }
    if (plans.every((p) => p.bytes.length === p.hdu.headerSize)) {
      const writes: JournalWrite[] = plans
        .filter((p) => !equalBytes(p.bytes, p.hdu.header.toBytes()))
        .map((p) => ({ offset: p.hdu.headerOffset, bytes: p.bytes }));
      if (writes.length === 0) return { file: path, mode: 'unchanged', hdus };
      await writeJournal(path, before.size, writes);
      await onStage?.('journal-written');
      await applyWrites(path, writes);
      await onStage?.('headers-written');
      await removeJournal(path);
      return { file: path, mode: 'in-place', hdus };
    }
    await rewriteFile(path, before.mode, before.size, plans, onStage);
    return { file: path, mode: 'rewrite', hdus };
  } catch (error) {
    throw toIngestError(error, { file: path });
  }
}

/** Writes new headers and the old data units to a temporary file beside `path`, then renames it over `path`. */
async function rewriteFile(
  path: string,
  mode: number,
  size: number,
  plans: { hdu: { dataOffset: number; layout: { paddedSize: number } }; bytes: Uint8Array }[],
  onStage: WriteChecksumsOptions['onStage'],
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const source = await open(path, 'r');
  let out;
  try {
    out = await open(temp, 'wx', mode & 0o777);
    let end = 0;
    let at = 0; // bytes written to the temporary copy
    const copy = async (from: number, to: number): Promise<void> => {
      at += (await pump(source, { file: path, start: from, length: Math.max(0, to - from), sinks: [fileSink(out!, at, temp)] })).bytes;
    };
    for (const plan of plans) {
      await writeAll(out, plan.bytes, at, temp);
      at += plan.bytes.length;
      end = plan.hdu.dataOffset + plan.hdu.layout.paddedSize;
      await copy(plan.hdu.dataOffset, Math.min(end, size));
    }
    if (end < size) await copy(end, size); // tolerated trailing bytes stay as they were
    await out.sync();
    await out.close();
    out = undefined;
    await chmod(temp, mode & 0o7777);
    await onStage?.('temp-written');
    await rename(temp, path);
    await syncDirectory(dirname(path));
  } catch (error) {
    await out?.close();
    await unlink(temp).catch(() => {});
    throw error;
  } finally {
    await source.close();
  }
}
