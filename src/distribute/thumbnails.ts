/**
 * PNG thumbnails of every image HDU of a file (decoded row by row with the core's pixel decoder and zscale
 * thumbnail builder, encoded with pngjs as 8-bit grey), and the text listing of every header.
 * Internal to src/distribute.
 *
 * @module
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { decodePixels, imagePlane, type ImagePlane } from '../core/distribute/pixels.js';
import { ThumbnailBuilder, type GreyImage } from '../core/distribute/thumbnail.js';
import type { HduInfo } from '../core/fits/hdu-stream.js';

const READ_BYTES = 4 * 1024 * 1024;

/** Decodes the first plane of an image HDU of `path` into a thumbnail. */
export async function thumbnailOf(path: string, hdu: HduInfo, plane: ImagePlane, maxSize: number): Promise<GreyImage> {
  const builder = new ThumbnailBuilder(plane.width, plane.height, { maxSize });
  const rowBytes = plane.width * plane.bytes;
  const rowsPerRead = Math.max(1, Math.floor(READ_BYTES / rowBytes));
  const buffer = Buffer.alloc(rowsPerRead * rowBytes);
  const row = new Float64Array(plane.width);
  const handle = await open(path, 'r');
  try {
    for (let y = 0; y < plane.height; y += rowsPerRead) {
      const rows = Math.min(rowsPerRead, plane.height - y);
      const { bytesRead } = await handle.read(buffer, 0, rows * rowBytes, hdu.dataOffset + y * rowBytes);
      for (let r = 0; r < rows; r++) {
        if ((r + 1) * rowBytes > bytesRead) row.fill(Number.NaN);
        else decodePixels(plane, buffer.subarray(r * rowBytes, (r + 1) * rowBytes), plane.width, row);
        builder.pushRow(row);
      }
    }
  } finally {
    await handle.close();
  }
  return builder.finish();
}

/** `image` encoded as an 8-bit greyscale PNG. */
export function pngBytes(image: GreyImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Writes `image` as an 8-bit greyscale PNG. */
export async function writePng(to: string, image: GreyImage): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, pngBytes(image));
}

/** The image plane of an HDU, or why it has none. */
export const planeOf = (hdu: HduInfo): ImagePlane | { none: string } => imagePlane(hdu.header, hdu.layout);

/** The headers of every HDU as text: a title line per HDU, then its cards (80 columns, trailing blanks cut) up to END. */
export function headerListing(archiveId: string, hdus: readonly HduInfo[]): string {
  const parts = hdus.map((hdu) => {
    const extname = hdu.header.getString('EXTNAME');
    const kind = hdu.layout.xtension ?? 'PRIMARY';
    const title = `# HDU ${hdu.index}: ${kind}${extname ? ` ${extname.trim()}` : ''} — header at byte ${hdu.headerOffset}, data at byte ${hdu.dataOffset} (${hdu.layout.dataSize} bytes)`;
    const text = hdu.header.toString();
    const cards: string[] = [];
    for (let at = 0; at < text.length; at += 80) {
      const card = text.slice(at, at + 80);
      cards.push(card.trimEnd());
      if (card.startsWith('END ') || card === 'END'.padEnd(80)) break;
    }
    return [title, ...cards].join('\n');
  });
  return `# ${archiveId}\n${parts.join('\n\n')}\n`;
}
