/**
 * The tar format of media volumes, on node-tar's header codec (`Header`, `Pax`): every member is a POSIX pax
 * extended header (path, mtime, and size past 8 GiB) followed by a ustar header, the data, and zero padding to
 * 512 bytes; a volume ends with two zero blocks. Sizes are computed before anything is written, so the writer
 * knows every member's byte offset and can keep a volume under its maximum size. The reader walks headers with
 * positioned reads (it never reads member data) to list members and their data offsets.
 * Internal to src/adapters/transports/media.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { Header, Pax } from 'tar';
import { IngestError } from '../../../core/errors.js';

/** Tar block size. */
export const TAR_BLOCK = 512;
/** The end-of-archive marker: two zero blocks. */
export const TAR_EOF = Buffer.alloc(2 * TAR_BLOCK);
const USTAR_MAX_SIZE = 0o77777777777;

/** Zero bytes that pad `size` to a whole block. */
export const paddingOf = (size: number): number => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/** The header blocks (pax + ustar) of a regular-file member. `mtime` in whole seconds keeps headers stable. */
export function memberHeader(name: string, size: number, mtimeMs: number): Buffer {
  const mtime = new Date(Math.floor(mtimeMs / 1000) * 1000);
  const common = { path: name, mode: 0o444, uid: 0, gid: 0, uname: 'fits', gname: 'fits', mtime };
  const pax = new Pax({ path: name, mtime, ...(size > USTAR_MAX_SIZE ? { size } : {}) }).encode();
  const ustar = Buffer.alloc(TAR_BLOCK);
  new Header({ ...common, path: name.length > 99 ? name.slice(-99) : name, size: Math.min(size, USTAR_MAX_SIZE), type: 'File' }).encode(ustar);
  return Buffer.concat([pax, ustar]);
}

/** Bytes a member of `size` takes with its headers and padding. */
export function memberSpan(name: string, size: number): number {
  return memberHeader(name, size, 0).length + size + paddingOf(size);
}

/** A member found by {@link listMembers}. */
export interface TarMember {
  /** 1-based position among the volume's members (as `tar -tvf` lists them). */
  position: number;
  name: string;
  size: number;
  /** Byte offset of the member's first header block (pax or ustar). */
  headerOffset: number;
  /** Byte offset of the member's data. */
  offset: number;
}

async function readExactly(handle: FileHandle, length: number, position: number, file: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead < length) {
    throw new IngestError('TRUNCATED', `the volume ends inside a tar header or pax record (${bytesRead} of ${length} bytes)`, {
      context: { file, offset: position },
      hint: 'the volume is incomplete (an interrupted write?) or damaged; use another copy',
    });
  }
  return buffer;
}

/**
 * Lists a volume's members by walking its headers. Throws TRUNCATED or NOT_TAR-like INVALID errors naming the
 * byte offset when the structure is broken; data is never read.
 */
export async function listMembers(handle: FileHandle, file: string, volumeSize: number): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let at = 0;
  let pax: Pax | undefined;
  let headerOffset = 0;
  while (at + TAR_BLOCK <= volumeSize) {
    const block = await readExactly(handle, TAR_BLOCK, at, file);
    if (block.every((b) => b === 0)) return members;
    const header = new Header(block, 0, pax);
    if (!header.cksumValid) {
      throw new IngestError('TRUNCATED', 'a tar header block has a wrong checksum', {
        context: { file, offset: at },
        hint: 'the volume is damaged at this offset; use another copy',
      });
    }
    if (pax === undefined) headerOffset = at;
    const size = header.size ?? 0;
    at += TAR_BLOCK;
    if (header.type === 'ExtendedHeader') {
      pax = Pax.parse((await readExactly(handle, size, at, file)).toString('utf8'), pax);
      at += size + paddingOf(size);
      continue;
    }
    if (header.type === 'GlobalExtendedHeader') {
      at += size + paddingOf(size);
      continue;
    }
    members.push({ position: members.length + 1, name: header.path ?? '', size, headerOffset, offset: at });
    pax = undefined;
    at += size + paddingOf(size);
  }
  if (at > volumeSize) {
    throw new IngestError('TRUNCATED', `the last member runs ${at - volumeSize} bytes past the end of the volume`, {
      context: { file, offset: volumeSize },
      hint: 'the volume is incomplete (an interrupted write?) or damaged; use another copy',
    });
  }
  throw new IngestError('TRUNCATED', 'the volume has no end-of-archive blocks', {
    context: { file, offset: at },
    hint: 'the volume is incomplete (an interrupted write?); use another copy',
  });
}
