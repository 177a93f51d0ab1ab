/**
 * Walks the HDUs of a FITS byte stream given as an async iterable of chunks (a Node.js readable stream, a
 * fetch body, a generator…). Data units are read and discarded, never kept.
 *
 * @module
 */
import { HduStreamParser, type HduInfo, type HduStreamOptions } from './hdu-stream.js';

/**
 * Yields each HDU of a stream as soon as its header is complete. Throws the parser's typed errors
 * (NOT_FITS, TRUNCATED, MISSING_END, …) where the stream goes wrong; HDUs before the fault are yielded first.
 *
 * @example
 * ```ts
 * for await (const hdu of walkStream(fs.createReadStream(path), { file: path })) {
 *   console.log(hdu.index, hdu.layout.kind, hdu.dataOffset, hdu.layout.dataSize)
 * }
 * ```
 */
export async function* walkStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: HduStreamOptions = {},
): AsyncGenerator<HduInfo, void, undefined> {
  const found: HduInfo[] = [];
  const parser = new HduStreamParser({ header: (hdu) => found.push(hdu) }, options);
  for await (const chunk of chunks) {
    parser.push(chunk);
    yield* found.splice(0);
  }
  parser.end();
  yield* found.splice(0);
}
