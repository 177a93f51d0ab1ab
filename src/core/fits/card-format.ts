/**
 * Formatting header cards: a typed {@link Card} back into its 80-character image (or several, for CONTINUE long
 * strings), in the layout CFITSIO and astropy write.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { CARD, KEYWORD_CHARS, hasNonAscii } from './bytes.js';
import type { Card, FitsComplex, FitsValue, ValueType } from './header-card.js';

/** The FITS type a JavaScript value is written as. */
export function valueTypeOf(value: FitsValue): ValueType {
  if (value === null) return 'undefined';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'logical';
    case 'bigint':
      return 'integer';
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? 'integer' : 'real';
    default:
      return 'complex';
  }
}

/** Formats a real so that parsing it gives back exactly the same double. */
export function formatReal(x: number): string {
  if (!Number.isFinite(x)) {
    throw new IngestError('WRONG_VALUE_TYPE', `FITS cannot store the real value ${x}`, {
      hint: 'FITS header values must be finite; use an undefined value (null) instead',
    });
  }
  let text = Object.is(x, -0) ? '-0.0' : String(x);
  const e = text.indexOf('e');
  let mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? '' : `E${text.slice(e + 1)}`;
  if (!mantissa.includes('.')) mantissa += '.0';
  text = mantissa + exponent;
  return text;
}

function formatScalar(value: FitsValue, type: ValueType): string {
  switch (type) {
    case 'undefined':
      return '';
    case 'logical':
      return value ? 'T' : 'F';
    case 'integer':
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      throw new IngestError('WRONG_VALUE_TYPE', `${String(value)} is not an integer`);
    case 'real':
      if (typeof value === 'bigint') return `${value.toString()}.0`;
      if (typeof value !== 'number') throw new IngestError('WRONG_VALUE_TYPE', `${String(value)} is not a number`);
      return formatReal(value);
    case 'complex': {
      const c = value as FitsComplex;
      return `(${formatReal(c.re)}, ${formatReal(c.im)})`;
    }
    default:
      throw new IngestError('INTERNAL', `formatScalar called for ${type}`);
  }
}

function assertPrintable(text: string, what: string, keyword: string): void {
  if (hasNonAscii(text)) {
    throw new IngestError('WRONG_VALUE_TYPE', `${what} of ${keyword} contains characters outside printable ASCII`, {
      context: { keyword },
      hint: 'FITS headers hold only ASCII 0x20–0x7E; transliterate or drop the other characters',
    });
  }
}

/** Checks a standard (non-HIERARCH) keyword name. */
export function assertKeyword(keyword: string): void {
  if (keyword.length > 8 || !KEYWORD_CHARS.test(keyword)) {
    throw new IngestError('BAD_KEYWORD', `${JSON.stringify(keyword)} is not a valid FITS keyword`, {
      context: { keyword },
    });
  }
}

function pad(text: string): string {
  return text.length >= CARD ? text : text + ' '.repeat(CARD - text.length);
}

/** Column where the value field of the fixed format ends: comments of short values start after it. */
const VALUE_END = 30;

/**
 * Appends " / comment" if there is room, truncating the comment to the card (as CFITSIO does). Short values are
 * padded to column 30 first, the layout CFITSIO and astropy write (astropy's string-based checksum verification
 * depends on it for the CHECKSUM card).
 */
function withComment(head: string, comment: string | undefined): string {
  if (!comment) return pad(head);
  const start = head.padEnd(VALUE_END);
  const room = CARD - start.length - 3;
  if (room <= 0) return pad(head);
  return pad(`${start} / ${comment.slice(0, room)}`);
}

/** Splits escaped string text into pieces of at most `size`, never splitting a doubled quote. */
function splitEscaped(escaped: string, size: number): string[] {
  const pieces: string[] = [];
  let i = 0;
  while (i < escaped.length) {
    let end = Math.min(escaped.length, i + size);
    // Do not end between the two quotes of an escaped quote: count quotes in the piece.
    const piece = escaped.slice(i, end);
    const quotes = piece.length - piece.replace(/'/g, '').length;
    if (quotes % 2 === 1 && end < escaped.length) end -= 1;
    pieces.push(escaped.slice(i, end));
    i = end;
  }
  return pieces.length ? pieces : [''];
}

function formatString(prefix: string, value: string, comment: string | undefined): string {
  const escaped = value.replace(/'/g, "''");
  const single = escaped === '' ? `${prefix}''` : `${prefix}'${escaped.padEnd(8)}'`;
  if (single.length <= CARD) return withComment(single, comment);
  // CONTINUE long-string convention: every piece but the last ends with '&'; the comment goes on the last card.
  const firstSize = CARD - prefix.length - 3;
  if (firstSize < 1) {
    throw new IngestError('VALUE_TOO_LONG', `keyword ${prefix.trim()} leaves no room for a string value`);
  }
  const [first = ''] = splitEscaped(escaped, firstSize);
  const pieces = [first, ...splitEscaped(escaped.slice(first.length), CARD - 10 - 3).filter((p) => p !== '')];
  return pieces
    .map((piece, k) => {
      const head = `${k === 0 ? prefix : 'CONTINUE  '}'${piece}${k === pieces.length - 1 ? '' : '&'}'`;
      return k === pieces.length - 1 ? withComment(head, comment) : pad(head);
    })
    .join('');
}

/**
 * Formats a card into its image: 80 characters, or a multiple of 80 for long strings (CONTINUE). A card that
 * still has its `raw` image is returned unchanged, byte for byte.
 *
 * Layout follows the FITS fixed format: keyword in columns 1–8, `= ` in 9–10, strings from column 11 with at
 * least 8 characters between the quotes, other values right-justified to column 30, then ` / comment`.
 * Comments that do not fit are truncated, as CFITSIO does; long strings continue on CONTINUE cards; other values
 * that do not fit throw VALUE_TOO_LONG.
 */
export function formatCard(card: Card): string {
  if (card.raw !== undefined) return card.raw;
  switch (card.kind) {
    case 'end':
      return pad('END');
    case 'commentary': {
      const keyword = card.keyword;
      assertKeyword(keyword);
      const text = card.comment ?? '';
      assertPrintable(text, 'text', keyword);
      // Commentary text longer than one card continues on further cards with the same keyword.
      const size = CARD - 8;
      let out = '';
      for (let i = 0; i === 0 || i < text.length; i += size) {
        out += pad(keyword.padEnd(8) + text.slice(i, i + size));
      }
      return out;
    }
    case 'malformed':
      throw new IngestError('BAD_CARD', `card ${card.keyword} is malformed and has no raw image to write back`, {
        context: { keyword: card.keyword },
      });
    case 'value':
      break;
  }
  const keyword = card.keyword;
  const value = card.value === undefined ? null : card.value;
  const type = card.valueType ?? valueTypeOf(value);
  let prefix: string;
  if (card.hierarch) {
    assertPrintable(keyword, 'keyword', keyword);
    prefix = `HIERARCH ${keyword} = `;
  } else {
    assertKeyword(keyword);
    prefix = `${keyword.padEnd(8)}= `;
  }
  if (card.comment) assertPrintable(card.comment, 'comment', keyword);
  if (type === 'string') {
    if (typeof value !== 'string') throw new IngestError('WRONG_VALUE_TYPE', `${keyword}: value is not a string`);
    assertPrintable(value, 'value', keyword);
    return formatString(prefix, value, card.comment);
  }
  const scalar = formatScalar(value, type);
  const head = card.hierarch ? prefix + scalar : prefix + scalar.padStart(20);
  if (head.length > CARD) {
    throw new IngestError('VALUE_TOO_LONG', `${keyword}: value ${scalar} does not fit in one card`, {
      context: { keyword },
    });
  }
  return withComment(head, card.comment);
}
