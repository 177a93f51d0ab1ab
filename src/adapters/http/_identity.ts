/**
 * What a received file says it is, read from its own primary header — not from the request: the instrument its
 * INSTRUME resolves to (through the instrument descriptions, aliases included), its program, and the archive id
 * the archive will give it. The server decides who may do what from this. The header is read card by card in
 * bounded slices (the event loop is handed back every {@link SLICE_CARDS} cards), so a client's file with a
 * huge header never holds up other requests. Internal to src/adapters/http.
 *
 * @module
 */
import { open, stat } from 'node:fs/promises';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { IngestError } from '../../core/errors.js';
import { parseCard } from '../../core/fits/header-card.js';
import { repairObservationTime } from '../../core/normalize/date-time.js';
import { makeArchiveId } from '../../instruments/archive-id.js';
import { findInstrument } from '../../instruments/find-instrument.js';
import type { HeaderValue, HeaderView } from '../../instruments/header-view.js';
import { resolveKeyword, valueText } from '../../instruments/rules.js';
import type { InstrumentDescription } from '../../instruments/schema.js';

/** Cards parsed between two returns to the event loop. */
export const SLICE_CARDS = 2000;
/** Bytes read from disk at a time. */
const READ_BYTES = 2880 * 64;

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
 * Reads the keywords of a file's primary header into a view, handing the loop back every {@link SLICE_CARDS}
 * cards. Long strings (CONTINUE) are joined. Stops at END; `maxBytes` bounds the header.
 *
 * @throws IngestError NOT_FITS, MISSING_END, HEADER_TOO_LARGE
 */
export async function readPrimaryKeywords(path: string, name: string, maxBytes = 16 << 20): Promise<HeaderView> {
  const values = new Map<string, HeaderValue>();
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let position = 0;
    let cards = 0;
    let longKey: string | undefined;
    for (;;) {
      if (position >= maxBytes) {
        throw new IngestError('HEADER_TOO_LARGE', `the primary header of ${name} exceeds ${maxBytes} bytes`, { context: { file: name, offset: position } });
      }
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      const usable = bytesRead - (bytesRead % 80);
      if (usable === 0) throw new IngestError('MISSING_END', `${name} ends before the END card of its primary header`, { context: { file: name, offset: position } });
      const text = buffer.toString('latin1', 0, usable);
      if (position === 0 && !text.startsWith('SIMPLE  =')) throw new IngestError('NOT_FITS', `${name} does not start with SIMPLE =`, { context: { file: name, offset: 0 } });
      for (let at = 0; at < usable; at += 80) {
        if (++cards % SLICE_CARDS === 0) await yieldLoop();
        const { card, continuation } = parseCard(text.slice(at, at + 80), cards);
        if (card.kind === 'end') return viewOf(values);
        if (continuation && longKey !== undefined) {
          const so = values.get(longKey) as string;
          values.set(longKey, so.slice(0, -1) + continuation.piece);
          if (!continuation.piece.endsWith('&')) longKey = undefined;
          continue;
        }
        longKey = undefined;
        if (card.kind !== 'value' || values.has(card.keyword)) continue;
        const value = card.value;
        values.set(card.keyword, (value === undefined ? null : value) as HeaderValue);
        if (typeof value === 'string' && value.endsWith('&')) longKey = card.keyword;
      }
      position += usable;
    }
  } finally {
    await handle.close();
  }
}

function viewOf(values: Map<string, HeaderValue>): HeaderView {
  return { get: (keyword) => values.get(keyword.toUpperCase()) };
}

/** A view with some keywords set over another (the repairs normalization applies before naming the file). */
function overlay(view: HeaderView, edits: readonly { keyword: string; value: HeaderValue }[]): HeaderView {
  const set = new Map(edits.map((e) => [e.keyword.toUpperCase(), e.value]));
  return { get: (keyword) => (set.has(keyword.toUpperCase()) ? set.get(keyword.toUpperCase()) : view.get(keyword)) };
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
  let header: HeaderView;
  try {
    header = await readPrimaryKeywords(path, name);
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
      const { mtimeMs } = await stat(path);
      const time = repairObservationTime(description, header, mtimeMs);
      // As normalization does: INSTRUME set to the description's name and the date repairs applied first.
      const repaired = overlay(header, [{ keyword: 'INSTRUME', value: description.name }, ...time.edits.map((e) => ({ keyword: e.keyword, value: e.value as HeaderValue }))]);
      archiveId = makeArchiveId(description, { header: repaired, date: time.date, utSeconds: time.utSeconds, digest: sha256 }).id;
    }
  } catch {
    archiveId = null; // the ingestion will say why it cannot name the file
  }
  return { instrument: found ? found.name : null, program, archiveId };
}
