/**
 * The {@link Header} model: an ordered list of cards with typed access, edits that keep every untouched card
 * byte-identical, and strict or lenient reading.
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import { CARD, bytesToLatin1, findEndCard, latin1ToBytes, padToBlock } from './bytes.js';
import { checkStructure, nonconforming } from './_header-checks.js';
import { formatCard, valueTypeOf } from './card-format.js';
import {
  parseCard,
  type Card,
  type FitsComplex,
  type FitsValue,
  type HeaderIssue,
  type ValueType,
} from './header-card.js';

/** Options for reading a header. */
export interface HeaderParseOptions {
  /**
   * `true`: any violation of the FITS standard throws one NONCONFORMING_HEADER error listing every issue with
   * its code and card number. `false` (lenient): read what real files contain and report issues as warnings in
   * {@link Header.issues}.
   * @default false
   */
  strict?: boolean;
  /** Context for errors and issues (file name, HDU index, byte offset of the header). */
  context?: ErrorContext;
}

/** A header and the number of bytes it occupied in the file. */
export interface ParsedHeader {
  header: Header;
  /** Bytes consumed: whole 2880-byte blocks up to and including the END block (less if END padding is missing). */
  byteLength: number;
}

/** Where to put a new card. */
export interface CardPosition {
  /** Insert before the first card with this keyword (or before this logical index). */
  before?: string | number;
  /** Insert after the first card with this keyword (or after this logical index). */
  after?: string | number;
}

/** Options for {@link Header.set}. */
export interface SetOptions extends CardPosition {
  /** FITS type to write; inferred from the value when omitted (an existing real card stays real). */
  type?: ValueType;
}

/** A plain view of one card for JSON output. */
export interface CardJson {
  keyword: string;
  value: FitsValue | undefined;
  comment: string;
}

/** Normalizes a keyword for lookup: upper case, HIERARCH prefix removed, inner spaces collapsed. */
export function normalizeKeyword(keyword: string): string {
  return keyword
    .trim()
    .toUpperCase()
    .replace(/^HIERARCH\s+/, '')
    .replace(/\s+/g, ' ');
}

/**
 * An ordered FITS header. Cards read from a file keep their exact bytes until changed, so
 * `Header.parse(bytes).toBytes()` returns `bytes` unchanged (for complete headers), whatever odd-but-legal or
 * malformed formatting they carried.
 *
 * @example
 * ```ts
 * const header = Header.parse(bytes).header
 * header.getString('OBJECT')             // 'M13' or undefined
 * header.set('KOAID', 'KB.20260101.12345.67.fits', 'KOA: archive id')
 * header.toBytes()                       // whole 2880-byte blocks
 * ```
 */
export class Header implements Iterable<Card> {
  #cards: Card[];
  #index: Map<string, number[]> | undefined;
  #endRaw: string | undefined;
  #padding: string | undefined;
  #physicalCount = -1;
  /** Standard violations found when the header was read (empty for built headers). */
  readonly issues: HeaderIssue[];

  constructor(cards: Iterable<Card> = [], issues: HeaderIssue[] = []) {
    this.#cards = [...cards].filter((c) => c.kind !== 'end');
    this.issues = issues;
  }

  /**
   * Reads a header from bytes that start at its first card. Stops at the END card; bytes after the END block
   * are ignored. Throws MISSING_END when no END card is found, and NONCONFORMING_HEADER in strict mode.
   */
  static parse(bytes: Uint8Array, options: HeaderParseOptions = {}): ParsedHeader {
    const context = options.context ?? {};
    const cardCount = Math.floor(bytes.length / CARD);
    const endCard = findEndCard(bytes, 0, cardCount * CARD);
    if (endCard < 0) {
      throw new IngestError('MISSING_END', `no END card in ${cardCount} header cards`, {
        context: { ...context, card: cardCount },
      });
    }
    const endAt = endCard * CARD;
    const blockEnd = padToBlock(endAt + CARD);
    const text = bytesToLatin1(bytes, 0, Math.min(bytes.length, blockEnd));
    const issues: HeaderIssue[] = [];
    const cards: Card[] = [];
    // A long string (CONTINUE chain) is collected piece by piece and joined once when the chain ends, so that
    // reading is linear in the number of cards whatever the length of the chain.
    let chain: LongString | undefined;
    const closeChain = (): void => {
      if (chain) cards[cards.length - 1] = joinLongString(chain);
      chain = undefined;
    };
    for (let n = 0; n < endCard; n++) {
      const parsed = parseCard(text.slice(n * CARD, n * CARD + CARD), n + 1);
      for (const issue of parsed.issues) issues.push(issue);
      const open = chain ? chain.pieces[chain.pieces.length - 1]!.endsWith('&') : isOpenString(cards[cards.length - 1]);
      if (parsed.continuation && open) {
        // The chain's cards are consecutive, so its raw image is one slice of the text, taken when it closes.
        chain ??= { first: cards[cards.length - 1]!, start: (n - 1) * CARD, end: 0, text, pieces: [cards[cards.length - 1]!.value as string], comments: [] };
        chain.pieces.push(parsed.continuation.piece);
        if (parsed.continuation.comment) chain.comments.push(parsed.continuation.comment);
        chain.end = (n + 1) * CARD;
      } else {
        closeChain();
        cards.push(parsed.card);
      }
    }
    closeChain();
    const end = parseCard(text.slice(endAt, endAt + CARD), endCard + 1);
    issues.push(...end.issues);
    const header = new Header(cards, issues);
    header.#endRaw = text.slice(endAt, endAt + CARD);
    header.#physicalCount = endCard;
    const padding = text.slice(endAt + CARD, blockEnd);
    if (bytes.length < blockEnd) {
      issues.push({
        code: 'NO_END_PADDING',
        card: endCard + 1,
        keyword: 'END',
        message: `the header block is cut short ${blockEnd - bytes.length} bytes after the END card`,
      });
    } else {
      header.#padding = padding;
      if (padding.trim() !== '') {
        const at = padding.search(/[^ ]/);
        issues.push({
          code: 'DATA_AFTER_END',
          card: endCard + 2 + Math.floor(at / CARD),
          message: 'the rest of the END block must be blank (ASCII spaces)',
        });
      }
    }
    checkStructure(header.#cards, issues);
    if (options.strict && issues.length > 0) {
      throw nonconforming(issues, context);
    }
    return { header, byteLength: Math.min(bytes.length, blockEnd) };
  }

  /** Number of logical cards (a CONTINUE long string counts once), END excluded. */
  get length(): number {
    return this.#cards.length;
  }

  /** Number of 80-byte card images the header serializes to, END excluded. */
  get physicalLength(): number {
    return this.#cards.reduce((n, c) => n + (c.raw !== undefined ? c.raw.length / CARD : formatCard(c).length / CARD), 0);
  }

  /** Serialized size in bytes: whole blocks including the END card. */
  get byteLength(): number {
    return padToBlock((this.physicalLength + 1) * CARD);
  }

  [Symbol.iterator](): Iterator<Card> {
    return this.#cards[Symbol.iterator]();
  }

  /** The cards, in order (a copy). */
  cards(): Card[] {
    return [...this.#cards];
  }

  /** The card at a logical index. */
  at(index: number): Card | undefined {
    return this.#cards.at(index);
  }

  #lookup(keyword: string): number[] {
    if (!this.#index) {
      const index = new Map<string, number[]>();
      this.#cards.forEach((card, i) => {
        const list = index.get(card.keyword);
        if (list) list.push(i);
        else index.set(card.keyword, [i]);
      });
      this.#index = index;
    }
    return this.#index.get(normalizeKeyword(keyword)) ?? [];
  }

  #changed(): void {
    this.#index = undefined;
  }

  /** Logical index of the `occurrence`-th card with this keyword, or -1. */
  indexOf(keyword: string, occurrence = 0): number {
    return this.#lookup(keyword)[occurrence] ?? -1;
  }

  /** True if a card with this keyword exists. */
  has(keyword: string): boolean {
    return this.#lookup(keyword).length > 0;
  }

  /** The first value card with this keyword. */
  card(keyword: string): Card | undefined {
    for (const i of this.#lookup(keyword)) {
      const card = this.#cards[i]!;
      if (card.kind === 'value' || card.kind === 'malformed') return card;
    }
    return undefined;
  }

  /**
   * The value of the first value card with this keyword: `undefined` if absent (or unreadable), `null` if
   * present with an undefined value.
   */
  get(keyword: string): FitsValue | undefined {
    const card = this.card(keyword);
    return card?.kind === 'value' ? card.value : undefined;
  }

  /** The comment of the first value card with this keyword. */
  comment(keyword: string): string | undefined {
    return this.card(keyword)?.comment;
  }

  #typed<T>(keyword: string, want: string, accept: (v: FitsValue) => T | undefined): T | undefined {
    const value = this.get(keyword);
    if (value === undefined || value === null) return undefined;
    const result = accept(value);
    if (result === undefined) {
      throw new IngestError('WRONG_VALUE_TYPE', `${keyword} is ${JSON.stringify(String(value))}, not ${want}`, {
        context: { keyword: normalizeKeyword(keyword) },
      });
    }
    return result;
  }

  /** A string value; undefined when absent or undefined; WRONG_VALUE_TYPE when another type. */
  getString(keyword: string): string | undefined {
    return this.#typed(keyword, 'a string', (v) => (typeof v === 'string' ? v : undefined));
  }

  /** A logical value. */
  getBoolean(keyword: string): boolean | undefined {
    return this.#typed(keyword, 'a logical', (v) => (typeof v === 'boolean' ? v : undefined));
  }

  /** An integer or real value as a number; integers too large for a double exactly throw (use getBigInt). */
  getNumber(keyword: string): number | undefined {
    return this.#typed(keyword, 'a number', (v) => (typeof v === 'number' ? v : undefined));
  }

  /** An integer value that fits exactly in a double. */
  getInteger(keyword: string): number | undefined {
    const isInteger = this.card(keyword)?.valueType === 'integer';
    return this.#typed(keyword, 'an integer', (v) => (isInteger && typeof v === 'number' ? v : undefined));
  }

  /** An integer value of any size. */
  getBigInt(keyword: string): bigint | undefined {
    const isInteger = this.card(keyword)?.valueType === 'integer';
    return this.#typed(keyword, 'an integer', (v) => {
      if (typeof v === 'bigint') return v;
      return isInteger && typeof v === 'number' ? BigInt(v) : undefined;
    });
  }

  /** A complex value. */
  getComplex(keyword: string): FitsComplex | undefined {
    return this.#typed(keyword, 'a complex', (v) => (typeof v === 'object' && v !== null ? v : undefined));
  }

  /**
   * Sets a keyword's value. An existing card keeps its place (and its comment when `comment` is undefined); a
   * new card goes where `options` says, or at the end — taking the place of a trailing blank card when there is
   * one, so the header does not grow.
   */
  set(keyword: string, value: FitsValue, comment?: string, options: SetOptions = {}): this {
    const name = normalizeKeyword(keyword);
    const i = this.#lookup(name).find((k) => this.#cards[k]!.kind !== 'commentary');
    const existing = i === undefined ? undefined : this.#cards[i];
    const type = options.type ?? (existing?.valueType === 'real' && typeof value === 'number' ? 'real' : valueTypeOf(value));
    const card: Card = {
      keyword: name,
      kind: 'value',
      value,
      valueType: type,
      comment: comment ?? existing?.comment ?? '',
      hierarch: name.length > 8 || name.includes(' ') || (existing?.hierarch ?? false),
    };
    formatCard(card); // validate now, so a bad value fails at set() and not at write time
    if (i !== undefined) {
      this.#cards[i] = card;
      this.#changed();
      return this;
    }
    return this.insert(card, options);
  }

  /** Adds a COMMENT card (long text continues on further COMMENT cards). */
  addComment(text: string, position: CardPosition = {}): this {
    return this.insert({ keyword: 'COMMENT', kind: 'commentary', comment: text }, position);
  }

  /** Adds a HISTORY card. */
  addHistory(text: string, position: CardPosition = {}): this {
    return this.insert({ keyword: 'HISTORY', kind: 'commentary', comment: text }, position);
  }

  /**
   * Inserts a card. Without a position it goes at the end, taking the place of a trailing blank card if
   * there is one (blank cards at the end of a header are space reserved for new keywords).
   */
  insert(card: Card, position: CardPosition = {}): this {
    formatCard(card);
    const at = this.#positionOf(position);
    if (at === undefined) {
      let end = this.#cards.length;
      while (end > 0 && isBlankCard(this.#cards[end - 1]!)) end--;
      if (end < this.#cards.length && !isBlankCard(card)) this.#cards.splice(end, 1, card);
      else this.#cards.splice(end, 0, card);
    } else {
      this.#cards.splice(at, 0, card);
    }
    this.#changed();
    return this;
  }

  #positionOf(position: CardPosition): number | undefined {
    const resolve = (ref: string | number, what: string): number => {
      const i = typeof ref === 'number' ? ref : this.indexOf(ref);
      if (i < 0 || i > this.#cards.length) {
        throw new IngestError('NO_SUCH_KEYWORD', `cannot insert ${what} ${String(ref)}: not in the header`, {
          context: { keyword: String(ref) },
        });
      }
      return i;
    };
    if (position.before !== undefined) return resolve(position.before, 'before');
    if (position.after !== undefined) return resolve(position.after, 'after') + 1;
    return undefined;
  }

  /** Removes the `occurrence`-th card with this keyword; returns whether one was removed. */
  delete(keyword: string, occurrence = 0): boolean {
    const i = this.indexOf(keyword, occurrence);
    if (i < 0) return false;
    this.#cards.splice(i, 1);
    this.#changed();
    return true;
  }

  /** Replaces the card at a logical index. */
  replaceAt(index: number, card: Card): this {
    if (index < 0 || index >= this.#cards.length) {
      throw new IngestError('NO_SUCH_KEYWORD', `no card at index ${index}`);
    }
    formatCard(card);
    this.#cards[index] = card;
    this.#changed();
    return this;
  }

  /** An independent copy (cards are immutable objects, so they are shared). */
  clone(): Header {
    const copy = new Header(this.#cards, [...this.issues]);
    copy.#endRaw = this.#endRaw;
    copy.#padding = this.#padding;
    copy.#physicalCount = this.#physicalCount;
    return copy;
  }

  /** The header as text: card images, END, and blank padding to whole 2880-byte blocks. */
  toString(): string {
    let text = '';
    for (const card of this.#cards) text += formatCard(card);
    const physical = text.length / CARD;
    text += this.#endRaw ?? 'END'.padEnd(CARD);
    const size = padToBlock(text.length);
    if (this.#padding !== undefined && physical === this.#physicalCount && this.#padding.length === size - text.length) {
      return text + this.#padding;
    }
    return text.padEnd(size, ' ');
  }

  /** The header as bytes, whole 2880-byte blocks. */
  toBytes(): Uint8Array {
    return latin1ToBytes(this.toString());
  }

  /** Ordered `{ keyword, value, comment }` list (END excluded). Commentary cards give their text as comment. */
  toJSON(): CardJson[] {
    return this.#cards.map((c) => ({
      keyword: c.hierarch ? `HIERARCH ${c.keyword}` : c.keyword,
      value: c.kind === 'value' ? c.value : undefined,
      comment: c.comment ?? '',
    }));
  }
}

/** A CONTINUE chain being read: the card that opened it and the pieces that follow. */
interface LongString {
  first: Card;
  /** The header text and the range of the chain's card images in it. */
  text: string;
  start: number;
  end: number;
  pieces: string[];
  /** The CONTINUE cards' comments that are not empty. */
  comments: string[];
}

/** True for a string value card whose value ends with `&` (a CONTINUE card may follow). */
function isOpenString(card: Card | undefined): boolean {
  return card?.kind === 'value' && card.valueType === 'string' && (card.value as string).endsWith('&');
}

/** The logical card of a CONTINUE chain: each piece's trailing `&` dropped, comments joined by spaces. */
function joinLongString(chain: LongString): Card {
  const { first, pieces, comments, text, start, end } = chain;
  const value = pieces.map((p, i) => (i < pieces.length - 1 ? p.slice(0, -1) : p)).join('');
  const comment = [first.comment, ...comments].filter(Boolean).join(' ');
  return { ...first, value, comment, raw: text.slice(start, end) };
}

function isBlankCard(card: Card): boolean {
  return card.kind === 'commentary' && card.keyword === '' && (card.comment ?? '') === '';
}
