/**
 * FITS files on a local filesystem: walk their HDUs reading only header blocks.
 *
 * @module
 */
import type { FitsWarning, HduInfo } from '../core/fits/hdu-stream.js';
import { walkRandomAccess, type RandomAccessWalkOptions } from '../core/fits/random-access.js';
import { withFileForReading } from './durable-fs.js';

/** Options for {@link walkFile}. */
export type WalkFileOptions = Omit<RandomAccessWalkOptions, 'file'>;

/** The HDUs of a file and what lenient reading tolerated. */
export interface FileStructure {
  file: string;
  /** File size in bytes. */
  size: number;
  hdus: HduInfo[];
  warnings: FitsWarning[];
}

/**
 * Finds every HDU of a file by reading its header blocks and seeking over data units, so a multi-GB file costs a
 * few kilobytes of reads and constant memory. Errors are IngestErrors naming the file, the HDU and the offset.
 */
export async function walkFile(path: string, options: WalkFileOptions = {}): Promise<FileStructure> {
  return withFileForReading(path, async (handle, size) => {
    const buffer = new Uint8Array(4 * 2880);
    const source = {
      size,
      async read(offset: number, length: number): Promise<Uint8Array> {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(length, buffer.length), offset);
        return buffer.subarray(0, bytesRead);
      },
    };
    const { hdus, warnings } = await walkRandomAccess(source, { ...options, file: path });
    return { file: path, size, hdus, warnings };
  });
}
