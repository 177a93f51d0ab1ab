/**
 * Lossless normalization: every card that normalization (or the checksum step after it) changes or adds is recorded
 * in the archived header, so the instrument's header can be rebuilt exactly from any archived copy.
 *
 * The convention (docs/instruments.md, "What the archive keeps of the original header"):
 *
 * - a card that existed and was changed keeps its whole original image (80 characters, or several for a CONTINUE
 *   long string) in consecutive `HISTORY ORIGCARD i/n <55 characters>` cards; every chunk but the last is exactly
 *   55 characters (trailing blanks restored on reading), the last is right-trimmed and the image is re-padded to a
 *   multiple of 80;
 * - a card that did not exist and was added is listed as `HISTORY ORIGNONE <keyword>`.
 *
 * {@link reconstructOriginalHeader} undoes both: restored images go back in place, added cards and the HISTORY
 * records themselves are removed. Pure: no I/O.
 *
 * @module
 */
import { formatCard } from '../fits/card-format.js';
import type { Card } from '../fits/header-card.js';
import { Header, normalizeKeyword } from '../fits/header.js';

const CHUNK = 55;
const CARD_RE = /^ORIGCARD (\d{3})\/(\d{3}) (.*)$/s;
const NONE_RE = /^ORIGNONE (.+)$/;

/** Keywords the checksum step rewrites after normalization; their originals are recorded too. */
export const CHECKSUM_KEYWORDS = ['CHECKSUM', 'DATASUM'] as const;

function valueCard(header: Header, keyword: string): Card | undefined {
  const name = normalizeKeyword(keyword);
  // A malformed card counts: Header.set replaces it like a value card.
  return header.cards().find((c) => (c.kind === 'value' || c.kind === 'malformed') && c.keyword === name);
}

/** The HISTORY texts that record the original of `keyword` in `source` (empty when `keyword` is unchanged). */
function originalRecords(source: Header, target: Header, keyword: string, always: boolean): string[] {
  const before = valueCard(source, keyword);
  const after = valueCard(target, keyword);
  if (!before) return after || always ? [`ORIGNONE ${keyword}`] : [];
  const image = formatCard(before);
  if (!always && after && formatCard(after) === image) return [];
  const text = image.replace(/ +$/, '');
  const count = Math.max(1, Math.ceil(text.length / CHUNK));
  const pad = (n: number): string => String(n).padStart(3, '0');
  return Array.from({ length: count }, (_, i) => `ORIGCARD ${pad(i + 1)}/${pad(count)} ${text.slice(i * CHUNK, (i + 1) * CHUNK)}`);
}

/**
 * Appends to `target` the HISTORY records of every keyword in `keywords` whose card differs from `source`'s (or is
 * new), plus the checksum keywords the writer will replace. Keywords already recorded in `target` (a copy that
 * was normalized before) are recorded again against this `source`, so one reconstruction undoes one ingestion.
 */
export function recordOriginals(source: Header, target: Header, keywords: Iterable<string>): void {
  const seen = new Set<string>();
  const texts: string[] = [];
  for (const raw of keywords) {
    const keyword = normalizeKeyword(raw);
    if (seen.has(keyword)) continue;
    seen.add(keyword);
    texts.push(...originalRecords(source, target, keyword, false));
  }
  for (const keyword of CHECKSUM_KEYWORDS) {
    if (!seen.has(keyword)) texts.push(...originalRecords(source, target, keyword, true));
  }
  for (const text of texts) target.addHistory(text);
}

function parseImage(image: string): Card {
  const padded = image.padEnd(Math.ceil(image.length / 80) * 80, ' ');
  const end = 'END'.padEnd(80, ' ');
  const all = padded + end;
  const bytes = new Uint8Array(Math.ceil(all.length / 2880) * 2880).fill(32);
  for (let i = 0; i < all.length; i++) bytes[i] = all.charCodeAt(i);
  const card = Header.parse(bytes).header.cards()[0];
  if (!card) throw new Error('empty original card image');
  return card;
}

/**
 * The instrument's header as it was before archiving, rebuilt from an archived copy's header: recorded originals
 * restored in place, added keywords and the ORIGCARD/ORIGNONE records removed. A header without records comes
 * back unchanged (as a copy).
 */
export function reconstructOriginalHeader(archived: Header): Header {
  const header = archived.clone();
  const restored: Card[] = [];
  const removed: string[] = [];
  let buffer = '';
  const keep: Card[] = [];
  for (const card of header.cards()) {
    const text = card.kind === 'commentary' && card.keyword === 'HISTORY' ? (card.comment ?? '') : undefined;
    const chunk = text === undefined ? null : CARD_RE.exec(text);
    const none = text === undefined ? null : NONE_RE.exec(text);
    if (chunk) {
      const [i, n] = [Number(chunk[1]), Number(chunk[2])];
      if (i === 1) buffer = '';
      buffer += i < n ? chunk[3]!.padEnd(CHUNK, ' ') : chunk[3]!;
      if (i === n) restored.push(parseImage(buffer));
    } else if (none) {
      removed.push(none[1]!.trim());
    } else keep.push(card);
  }
  const result = new Header(keep);
  for (const keyword of removed) result.delete(keyword);
  for (const card of restored) {
    const i = result.cards().findIndex((c) => (c.kind === 'value' || c.kind === 'malformed') && c.keyword === card.keyword);
    if (i >= 0) result.replaceAt(i, card);
    else result.insert(card);
  }
  return result;
}
