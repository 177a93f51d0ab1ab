/**
 * FITS files on a local filesystem: walk their HDUs reading only header blocks.
 *
 * @module
 */
import { BLOCK } from '../core/fits/_bytes.js';
import { withFileForReading } from './_fs.js';
import { HduStreamParser, type FitsWarning, type HduInfo, type HduStreamOptions } from '../core/fits/hdu-stream.js';

/** Options for {@link walkFile}. */
export interface WalkFileOptions extends Omit<HduStreamOptions, 'file' | 'totalSize'> {
  /** Stop once the HDU with this index has been read (its header only; later HDUs are not checked). */
  stopAfterHdu?: number;
}

/** The HDUs of a file and what lenient reading tolerated. */
export interface FileStructure {
  file: string;
  /** File size in bytes. */
  size: number;
  hdus: HduInfo[];
  warnings: FitsWarning[];
}

const HEADER_READ = 4 * BLOCK;

/**
 * Finds every HDU of a file by reading its header blocks and seeking over data units, so a multi-GB file costs a
 * few kilobytes of reads and constant memory. Errors are IngestErrors naming the file, the HDU and the offset.
 */
export async function walkFile(path: string, options: WalkFileOptions = {}): Promise<FileStructure> {
  return withFileForReading(path, async (handle, size) => {
    const { stopAfterHdu, ...parserOptions } = options;
    const parser = new HduStreamParser({}, { ...parserOptions, file: path, totalSize: size });
    const buffer = new Uint8Array(HEADER_READ);
    while (parser.offset < size) {
      if (stopAfterHdu !== undefined && parser.hdus.length > stopAfterHdu) {
        return { file: path, size, hdus: parser.hdus.slice(), warnings: parser.warnings };
      }
      if (parser.state === 'data') {
        parser.skip(Math.min(parser.dataRemaining, size - parser.offset));
        continue;
      }
      const { bytesRead } = await handle.read(buffer, 0, Math.min(HEADER_READ, size - parser.offset), parser.offset);
      if (bytesRead === 0) break;
      parser.push(buffer.subarray(0, bytesRead));
      if (parser.state === 'trailing') break;
    }
    const hdus = parser.end();
    return { file: path, size, hdus, warnings: parser.warnings };
  });
}
