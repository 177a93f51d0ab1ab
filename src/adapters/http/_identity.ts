/**
 * What a received file says it is, read from its own primary header — not from the request: the instrument its
 * INSTRUME resolves to (through the instrument descriptions, aliases included), its program, and the archive id
 * the archive will give it (by the ingestor's own normalization). The server decides who may do what from this.
 * The header is read in bounded slices (the event loop is handed back between reads) and parsed in linear time,
 * so a client's file with a huge header never holds up other requests. Internal to src/adapters/http.
 *
 * @module
 */
import { open, stat } from 'node:fs/promises';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { IngestError } from '../../core/errors.js';
import { Header } from '../../core/fits/header.js';
import { normalizeHeader } from '../../core/normalize/normalize.js';
import { findInstrument } from '../../core/instruments/find-instrument.js';
import { resolveKeyword, valueText } from '../../core/instruments/rules.js';
import type { InstrumentDescription } from '../../core/instruments/schema.js';

/** Cards read between two returns to the event loop. */
export const SLICE_CARDS = 2304;
/** Bytes read from disk at a time: {@link SLICE_CARDS} cards (64 blocks). */
const READ_BYTES = SLICE_CARDS * 80;

/** What the file itself says. */
export interface FileIdentity {
  /** The description INSTRUME resolves to (name), or null when none does. */
  instrument: string | null;
  /** The program (PROGID through the description's keyword map), or null. */
  program: string | null;
  /** The archive id the archive will give the file at `level` 0, or null when it cannot be computed. */
  archiveId: string | null;
  /** Why the header could not be read (the file is then refused at ingestion, or here for limited tokens). */
  unreadable?: string;
}

/**
 * Reads the bytes of a file's primary header (through its END block), handing the loop back between reads of
 * {@link SLICE_CARDS} cards. `maxBytes` bounds the header. Parsing the result with `Header.parse` is linear in
 * the number of cards, whatever its CONTINUE chains.
 *
 * @throws IngestError NOT_FITS, MISSING_END, HEADER_TOO_LARGE
 */
export async function readPrimaryHeader(path: string, name: string, maxBytes = 16 << 20): Promise<Header> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let position = 0;
    for (;;) {
      if (position >= maxBytes) {
        throw new IngestError('HEADER_TOO_LARGE', `the primary header of ${name} exceeds ${maxBytes} bytes`, { context: { file: name, offset: position } });
      }
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      const usable = bytesRead - (bytesRead % 80);
      if (usable === 0) throw new IngestError('MISSING_END', `${name} ends before the END card of its primary header`, { context: { file: name, offset: position } });
      if (position === 0 && buffer.toString('latin1', 0, 9) !== 'SIMPLE  =') {
        throw new IngestError('NOT_FITS', `${name} does not start with SIMPLE =`, { context: { file: name, offset: 0 } });
      }
      chunks.push(buffer.subarray(0, usable));
      position += usable;
      if (hasEndCard(buffer, usable)) return Header.parse(Buffer.concat(chunks), { context: { file: name } }).header;
      await yieldLoop();
    }
  } finally {
    await handle.close();
  }
}

/** True when the first `length` bytes of `buffer` (whole cards) hold the END card. */
function hasEndCard(buffer: Buffer, length: number): boolean {
  for (let at = 0; at < length; at += 80) {
    if (buffer.toString('latin1', at, at + 8) === 'END     ' && buffer.toString('latin1', at + 8, at + 80).trim() === '') return true;
  }
  return false;
}

/**
 * Identifies a received file from its header: instrument, program, and the archive id normalization (or, for a
 * file prepared upstream, its header) gives it.
 */
export async function identifyFile(
  path: string,
  name: string,
  sha256: string,
  instruments: readonly InstrumentDescription[],
  options: { prepared: boolean; fallback?: InstrumentDescription | undefined },
): Promise<FileIdentity> {
  let header: Header;
  try {
    header = await readPrimaryHeader(path, name);
  } catch (error) {
    if (!(error instanceof IngestError) || error.kind !== 'invalid') throw error;
    return { instrument: null, program: null, archiveId: null, unreadable: error.detail };
  }
  const found = findInstrument(instruments, header);
  const description = found ?? options.fallback;
  if (!description) return { instrument: null, program: null, archiveId: null };
  const programFound = resolveKeyword(description, header, 'PROGID');
  const program = (programFound && valueText(programFound.value)) ?? null;
  let archiveId: string | null = null;
  try {
    if (options.prepared) {
      const id = header.get(description.outputKeywords.archiveId);
      archiveId = typeof id === 'string' ? id.replace(/\.fits$/, '') : null;
    } else {
      // The very normalization the ingestor will run, so the id the server checks is the id the file gets.
      const { mtimeMs } = await stat(path);
      archiveId = normalizeHeader(header, description, { originalName: name, mtimeMs, now: Date.now(), digest: sha256 }).archiveId;
    }
  } catch {
    archiveId = null; // the ingestion will say why it cannot name the file
  }
  return { instrument: found ? found.name : null, program, archiveId };
}
