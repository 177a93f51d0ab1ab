/**
 * Single FITS header cards: the card types, and parsing one 80-character card image into a typed {@link Card}.
 * Long strings (CONTINUE) are joined by the {@link Header} model, which sees neighbouring cards. Formatting is in
 * card-format.ts.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import { CARD, KEYWORD_CHARS, hasNonAscii } from './bytes.js';

/** A complex value, `(re, im)` in the header. */
export interface FitsComplex {
  re: number;
  im: number;
}

/**
 * A typed header value. Integers are `number` when they fit exactly in a double and `bigint` otherwise, so no
 * digit is ever lost; `null` is the FITS "undefined value" (keyword present, blank value field).
 */
export type FitsValue = string | boolean | number | bigint | FitsComplex | null;

/** The FITS type of a value; `real` and `integer` are both JavaScript numbers, so the card keeps which one. */
export type ValueType = 'string' | 'logical' | 'integer' | 'real' | 'complex' | 'undefined';

/** What a card is. `malformed` cards keep their bytes so they re-serialize unchanged. */
export type CardKind = 'value' | 'commentary' | 'end' | 'malformed';

/** One logical header card (several physical cards for a CONTINUE long string). */
export interface Card {
  /** Upper-case keyword; for HIERARCH cards the words after HIERARCH (e.g. `ESO DET CHIP ID`). */
  readonly keyword: string;
  readonly kind: CardKind;
  /** The value of a value card (`null` = undefined value). Absent for other kinds. */
  readonly value?: FitsValue;
  readonly valueType?: ValueType;
  /** Value cards: the comment after `/`, trimmed. Commentary cards: the text in columns 9–80, right-trimmed. */
  readonly comment?: string;
  /** True for the ESO HIERARCH convention. */
  readonly hierarch?: boolean;
  /**
   * The exact original image (80 × n characters, one code unit per byte) for cards read from a file. Absent on
   * cards built or changed in memory; {@link formatCard} returns it unchanged when present.
   */
  readonly raw?: string;
}

/** Codes of standard violations found while reading a header. */
export type HeaderIssueCode =
  | 'NON_ASCII'
  | 'LOWERCASE_KEYWORD'
  | 'BAD_KEYWORD_CHAR'
  | 'BAD_VALUE_INDICATOR'
  | 'UNTERMINATED_STRING'
  | 'BAD_VALUE'
  | 'LOWERCASE_EXPONENT'
  | 'TEXT_AFTER_VALUE'
  | 'NOT_FIXED_FORMAT'
  | 'MANDATORY_ORDER'
  | 'DUPLICATE_KEYWORD'
  | 'END_NOT_BLANK'
  | 'NO_END_PADDING'
  | 'DATA_AFTER_END';

/** One violation of the FITS standard, located by 1-based card number within the header. */
export interface HeaderIssue {
  code: HeaderIssueCode;
  card: number;
  keyword?: string;
  message: string;
}

/** The result of parsing one card image. */
export interface ParsedCard {
  card: Card;
  issues: HeaderIssue[];
  /** Present for CONTINUE cards: the string piece they carry (still with its trailing `&`, if any). */
  continuation?: { piece: string; comment: string } | undefined;
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;
const COMPLEX = /^\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)$/;

/** Parses an integer literal, as `bigint` when it does not fit exactly in a double. */
function parseInteger(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  return BigInt(text);
}

function parseRealText(text: string): number {
  return Number(text.replace(/[Dd]/, 'E'));
}

interface ValueParse {
  value: FitsValue;
  valueType: ValueType;
  comment: string;
  issue?: { code: HeaderIssueCode; message: string };
}

/** Parses the value field (columns 11–80, or after `=` for HIERARCH) into value and comment. */
function parseValueField(field: string): ValueParse {
  let i = 0;
  while (i < field.length && field[i] === ' ') i++;
  if (i === field.length) return { value: null, valueType: 'undefined', comment: '' };
  if (field[i] === '/') return { value: null, valueType: 'undefined', comment: field.slice(i + 1).trim() };
  if (field[i] === "'") {
    // Whole runs between quotes are sliced at once: building the text character by character allocated a string
    // per character, which made long headers (CONTINUE chains) spend their time collecting garbage.
    let text = '';
    let j = i + 1;
    let closed = false;
    while (j < field.length) {
      const quote = field.indexOf("'", j);
      if (quote < 0) {
        text += field.slice(j);
        j = field.length;
        break;
      }
      text += field.slice(j, quote);
      if (field[quote + 1] === "'") {
        text += "'";
        j = quote + 2;
        continue;
      }
      closed = true;
      j = quote + 1;
      break;
    }
    let stop = text.length;
    while (stop > 0 && text.charCodeAt(stop - 1) === 0x20) stop--;
    const value = text.slice(0, stop);
    if (!closed) {
      return {
        value,
        valueType: 'string',
        comment: '',
        issue: { code: 'UNTERMINATED_STRING', message: 'string value has no closing quote' },
      };
    }
    const rest = field.slice(j);
    const slash = rest.indexOf('/');
    const before = slash < 0 ? rest : rest.slice(0, slash);
    const comment = slash < 0 ? '' : rest.slice(slash + 1).trim();
    if (before.trim() !== '') {
      return {
        value,
        valueType: 'string',
        comment: (before.trim() + (comment ? ` ${comment}` : '')).trim(),
        issue: { code: 'TEXT_AFTER_VALUE', message: `text ${JSON.stringify(before.trim())} after the string value` },
      };
    }
    return { value, valueType: 'string', comment };
  }
  // Non-string: the value token runs to the first '/', which cannot occur inside numbers or complex values.
  const slash = field.indexOf('/', i);
  const token = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? '' : field.slice(slash + 1).trim();
  if (token === 'T' || token === 'F') return { value: token === 'T', valueType: 'logical', comment };
  if (INTEGER.test(token)) return { value: parseInteger(token), valueType: 'integer', comment };
  if (REAL.test(token)) {
    const result: ValueParse = { value: parseRealText(token), valueType: 'real', comment };
    if (/[ed]/.test(token)) {
      result.issue = { code: 'LOWERCASE_EXPONENT', message: `exponent letter in ${token} must be upper case` };
    }
    return result;
  }
  const complex = COMPLEX.exec(token);
  if (complex && REAL_OR_INT(complex[1]!) && REAL_OR_INT(complex[2]!)) {
    return {
      value: { re: parseRealText(complex[1]!), im: parseRealText(complex[2]!) },
      valueType: 'complex',
      comment,
    };
  }
  return {
    value: null,
    valueType: 'undefined',
    comment,
    issue: { code: 'BAD_VALUE', message: `cannot read value ${JSON.stringify(token)}` },
  };
}

function REAL_OR_INT(text: string): boolean {
  return INTEGER.test(text) || REAL.test(text);
}

/**
 * Parses one 80-character card image (one code unit per byte). Never throws for bad content: problems come back
 * as issues, and a card that cannot be read at all is returned as `malformed` with its raw image.
 *
 * @param image exactly 80 characters
 * @param cardNumber 1-based card number used in issues
 */
export function parseCard(image: string, cardNumber = 1): ParsedCard {
  if (image.length !== CARD) {
    throw new IngestError('BAD_CARD', `a card image must be 80 characters, got ${image.length}`, {
      context: { card: cardNumber },
    });
  }
  const issues: HeaderIssue[] = [];
  const rawKeyword = image.slice(0, 8).trimEnd();
  const keyword = rawKeyword.toUpperCase();
  const issue = (code: HeaderIssueCode, message: string): void => {
    issues.push({ code, card: cardNumber, keyword, message });
  };
  if (hasNonAscii(image)) issue('NON_ASCII', 'card contains bytes outside printable ASCII (0x20–0x7E)');

  // HIERARCH convention: "HIERARCH A B C = value / comment".
  if (keyword === 'HIERARCH' || rawKeyword.toUpperCase().startsWith('HIERARCH')) {
    const eq = image.indexOf('=', 8);
    if (image.slice(0, 9).toUpperCase() === 'HIERARCH ' && eq > 9) {
      const name = image.slice(9, eq).trim().replace(/\s+/g, ' ').toUpperCase();
      if (name !== '') {
        const parsed = parseValueField(image.slice(eq + 1));
        if (parsed.issue) issues.push({ ...parsed.issue, card: cardNumber, keyword: name });
        const card: Card = {
          keyword: name,
          kind: 'value',
          hierarch: true,
          value: parsed.value,
          valueType: parsed.valueType,
          comment: parsed.comment,
          raw: image,
        };
        return { card, issues };
      }
    }
  }

  if (rawKeyword !== keyword) issue('LOWERCASE_KEYWORD', `keyword ${JSON.stringify(rawKeyword)} must be upper case`);
  if (!KEYWORD_CHARS.test(keyword) || /^ +\S/.test(image.slice(0, 8))) {
    issue('BAD_KEYWORD_CHAR', `keyword ${JSON.stringify(rawKeyword)} has characters outside A–Z 0–9 _ -`);
  }

  if (keyword === 'END') {
    if (image.slice(3).trim() !== '') issue('END_NOT_BLANK', 'columns 4–80 of the END card must be blank');
    return { card: { keyword, kind: 'end', raw: image }, issues };
  }
  if (COMMENTARY.has(keyword)) {
    return { card: { keyword, kind: 'commentary', comment: image.slice(8).trimEnd(), raw: image }, issues };
  }
  if (keyword === 'CONTINUE' && image.slice(8, 10) !== '= ') {
    const parsed = parseValueField(image.slice(10));
    const card: Card = { keyword, kind: 'commentary', comment: image.slice(8).trimEnd(), raw: image };
    if (parsed.valueType === 'string' && !parsed.issue) {
      return { card, issues, continuation: { piece: parsed.value as string, comment: parsed.comment } };
    }
    return { card, issues };
  }
  const indicator = image.slice(8, 10);
  if (indicator !== '= ') {
    if (indicator[0] === '=') {
      issue('BAD_VALUE_INDICATOR', 'the value indicator "=" must be followed by a space in column 10');
    } else {
      // A keyword without value indicator is commentary (FITS Standard §4.1.2.2).
      return { card: { keyword, kind: 'commentary', comment: image.slice(8).trimEnd(), raw: image }, issues };
    }
  }
  const parsed = parseValueField(image.slice(10));
  if (parsed.issue) issues.push({ ...parsed.issue, card: cardNumber, keyword });
  if (parsed.issue?.code === 'BAD_VALUE' || parsed.issue?.code === 'UNTERMINATED_STRING') {
    return { card: { keyword, kind: 'malformed', comment: parsed.comment, raw: image }, issues };
  }
  return {
    card: { keyword, kind: 'value', value: parsed.value, valueType: parsed.valueType, comment: parsed.comment, raw: image },
    issues,
  };
}
