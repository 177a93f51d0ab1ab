/**
 * A push parser that walks the HDUs of a FITS byte stream: it buffers only header blocks, hands data bytes on
 * as views of the chunks it was given (never copying or keeping them), and checks the structure as it goes.
 * Memory use is the size of the largest header, whatever the size of the file.
 *
 * Both walkers of the library drive it: the streaming one pushes every byte, the random-access one pushes header
 * blocks and {@link HduStreamParser.skip}s over data.
 *
 * @module
 */
import { IngestError, type ErrorContext } from '../errors.js';
import { BLOCK, CARD, findEndCard } from './bytes.js';
import { dataLayout, type HduLayout } from './hdu-layout.js';
import { Header } from './header.js';
import type { HeaderIssue } from './header-card.js';

/** One HDU as found in the stream. */
export interface HduInfo {
  /** Zero-based index (0 = primary). */
  index: number;
  header: Header;
  layout: HduLayout;
  /** Byte offset of the first header card. */
  headerOffset: number;
  /** Header size in bytes (whole blocks, END block included). */
  headerSize: number;
  /** Byte offset of the data unit (= headerOffset + headerSize). */
  dataOffset: number;
}

/** A problem that lenient reading tolerated. */
export interface FitsWarning {
  code: HeaderIssue['code'] | 'MISSING_DATA_FILL' | 'TRAILING_BLOCKS';
  message: string;
  hdu?: number;
  card?: number;
  /** Keyword of the card concerned, for header issues. */
  keyword?: string;
  /** Byte offset in the file: of the card for header issues, of the missing fill for MISSING_DATA_FILL. */
  offset?: number;
}

/** Receives what the parser finds, in stream order. */
export interface HduStreamHandler {
  /** A complete header; `bytes` are its raw blocks (valid only during the call). */
  header?(hdu: HduInfo, bytes: Uint8Array): void;
  /** Data-unit bytes (fill included), a view of the pushed chunk starting at absolute `offset`. */
  data?(hdu: HduInfo, chunk: Uint8Array, offset: number): void;
  /** The HDU's data unit is complete. */
  hduEnd?(hdu: HduInfo): void;
}

/** Options for {@link HduStreamParser}. */
export interface HduStreamOptions {
  /**
   * Throw on any violation of the standard (header issues, missing data fill) instead of reporting a warning.
   * @default false
   */
  strict?: boolean;
  /** File name used in errors and warnings. */
  file?: string;
  /**
   * Largest header accepted, in bytes; a stream without END would otherwise be buffered without end.
   * @default 16 MiB
   */
  maxHeaderBytes?: number;
  /**
   * Accept bytes after the last HDU that do not start an extension (FITS "special records"), reporting a
   * TRAILING_BLOCKS warning, instead of failing with TRAILING_GARBAGE.
   * @default false
   */
  allowTrailing?: boolean;
  /** Total stream length when known: a header declaring more data than remains fails early with SIZE_OVERRUN. */
  totalSize?: number;
  /**
   * Lenient mode, a last data unit that lacks its fill: hand the missing fill (zeros, blanks for ASCII tables) to
   * the handler as data, so checksums cover the repaired unit a writer then pads the same way.
   * @default false
   */
  repairFill?: boolean;
}

type State = 'header' | 'data' | 'trailing' | 'ended';

const SIMPLE = [0x53, 0x49, 0x4d, 0x50, 0x4c, 0x45, 0x20, 0x20, 0x3d]; // "SIMPLE  ="
const XTENSION = [0x58, 0x54, 0x45, 0x4e, 0x53, 0x49, 0x4f, 0x4e]; // "XTENSION"

function startsWith(bytes: Uint8Array, length: number, signature: number[]): boolean {
  return length >= signature.length && signature.every((b, i) => bytes[i] === b);
}

/** True when some card of the block has a byte outside printable ASCII in its keyword columns (1–8). */
function looksBinary(bytes: Uint8Array, from: number, to: number): boolean {
  for (let at = from; at < to; at += CARD) {
    for (let k = at; k < at + 8; k++) {
      const b = bytes[k]!;
      if (b < 0x20 || b > 0x7e) return true;
    }
  }
  return false;
}

/** The fill a data unit is padded with: ASCII blanks for ASCII tables, zeros otherwise (FITS Standard §7.2.3, §3.3.2). */
export function dataFill(kind: HduLayout['kind'], length: number): Uint8Array {
  return new Uint8Array(length).fill(kind === 'table' ? 0x20 : 0);
}

/**
 * Walks HDUs in a byte stream pushed chunk by chunk.
 *
 * @example
 * ```ts
 * const parser = new HduStreamParser({ header: (hdu) => console.log(hdu.index, hdu.layout.kind) }, { file })
 * for await (const chunk of stream) parser.push(chunk)
 * const hdus = parser.end()
 * ```
 */
export class HduStreamParser {
  readonly #handler: HduStreamHandler;
  readonly #options: HduStreamOptions;
  #state: State = 'header';
  #offset = 0;
  #buffer = new Uint8Array(BLOCK * 4);
  #length = 0;
  #current: HduInfo | undefined;
  #remaining = 0;
  #hdus: HduInfo[] = [];
  /** Problems tolerated so far (lenient mode), with locations. */
  readonly warnings: FitsWarning[] = [];

  constructor(handler: HduStreamHandler = {}, options: HduStreamOptions = {}) {
    this.#handler = handler;
    this.#options = options;
  }

  /** Bytes consumed so far (the absolute offset of the next byte). */
  get offset(): number {
    return this.#offset;
  }

  /** `data` while inside a data unit (see {@link dataRemaining}); `header` while expecting header bytes. */
  get state(): State {
    return this.#state;
  }

  /** Bytes left in the current data unit, fill included. */
  get dataRemaining(): number {
    return this.#state === 'data' ? this.#remaining : 0;
  }

  /** HDUs completed or started so far. */
  get hdus(): readonly HduInfo[] {
    return this.#hdus;
  }

  #context(extra: ErrorContext = {}): ErrorContext {
    const context: ErrorContext = { ...extra };
    if (this.#options.file !== undefined) context.file = this.#options.file;
    return context;
  }

  /** Feeds the next bytes of the stream. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === 'data') {
        const n = Math.min(this.#remaining, chunk.length - i);
        this.#handler.data?.(this.#current!, chunk.subarray(i, i + n), this.#offset);
        this.#advanceData(n);
        i += n;
      } else if (this.#state === 'header') {
        i += this.#pushHeader(chunk, i);
      } else if (this.#state === 'trailing') {
        this.#offset += chunk.length - i;
        i = chunk.length;
      } else {
        throw new IngestError('INTERNAL', 'push() after end()');
      }
    }
  }

  /** Skips `n` data bytes without reading them (random-access readers). Only valid in the `data` state. */
  skip(n: number): void {
    if (this.#state !== 'data' || n > this.#remaining || n < 0) {
      throw new IngestError('INTERNAL', `skip(${n}) in state ${this.#state} with ${this.#remaining} bytes left`);
    }
    this.#advanceData(n);
  }

  #advanceData(n: number): void {
    this.#offset += n;
    this.#remaining -= n;
    if (this.#remaining === 0) this.#finishHdu();
  }

  #finishHdu(): void {
    this.#handler.hduEnd?.(this.#current!);
    this.#current = undefined;
    this.#state = 'header';
  }

  /** Appends header bytes block by block; returns how many bytes of chunk[from..] it took. */
  #pushHeader(chunk: Uint8Array, from: number): number {
    const want = BLOCK - (this.#length % BLOCK);
    const n = Math.min(want, chunk.length - from);
    if (this.#length + n > this.#buffer.length) {
      const max = this.#options.maxHeaderBytes ?? 16 * 1024 * 1024;
      if (this.#length + n > max) {
        throw new IngestError('HEADER_TOO_LARGE', `header of HDU ${this.#hdus.length} exceeds ${max} bytes`, {
          context: this.#context({ hdu: this.#hdus.length, offset: this.#offset }),
        });
      }
      const bigger = new Uint8Array(Math.min(max, this.#buffer.length * 2));
      bigger.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = bigger;
    }
    this.#buffer.set(chunk.subarray(from, from + n), this.#length);
    const before = this.#length;
    this.#length += n;
    this.#offset += n;
    if (before < 9 && this.#length >= 9 && !this.#checkSignature()) return n;
    if (this.#length % BLOCK === 0) {
      const blockStart = this.#length - BLOCK;
      if (findEndCard(this.#buffer, blockStart, this.#length) >= 0) {
        this.#completeHeader(this.#length);
      } else if (looksBinary(this.#buffer, blockStart, this.#length)) {
        throw new IngestError('MISSING_END', `no END card before non-text bytes in the header of HDU ${this.#hdus.length}`, {
          context: this.#context({ hdu: this.#hdus.length, offset: this.#offset - BLOCK }),
        });
      }
    }
    return n;
  }

  /** Checks the first bytes of a new HDU; returns false when the parser switched to trailing mode. */
  #checkSignature(): boolean {
    const index = this.#hdus.length;
    const headerOffset = this.#offset - this.#length;
    if (index === 0) {
      if (!startsWith(this.#buffer, this.#length, SIMPLE)) {
        throw new IngestError('NOT_FITS', 'the file does not start with "SIMPLE  =": it is not a FITS file', {
          context: this.#context({ offset: 0 }),
        });
      }
      return true;
    }
    if (startsWith(this.#buffer, this.#length, XTENSION)) return true;
    if (!this.#options.allowTrailing) {
      throw new IngestError('TRAILING_GARBAGE', `bytes after the last HDU (${index} HDUs) do not start an extension`, {
        context: this.#context({ offset: headerOffset }),
      });
    }
    this.warnings.push({
      code: 'TRAILING_BLOCKS',
      message: `bytes after the last HDU at offset ${headerOffset} do not start an extension; ignored`,
      offset: headerOffset,
    });
    this.#state = 'trailing';
    this.#length = 0;
    return false;
  }

  #completeHeader(size: number): void {
    const index = this.#hdus.length;
    const headerOffset = this.#offset - this.#length;
    const context = this.#context({ hdu: index, offset: headerOffset });
    const bytes = this.#buffer.subarray(0, size);
    const { header } = Header.parse(bytes, { strict: this.#options.strict ?? false, context });
    for (const issue of header.issues) {
      const warning: FitsWarning = { code: issue.code, message: issue.message, hdu: index, card: issue.card, offset: headerOffset + (issue.card - 1) * CARD };
      if (issue.keyword !== undefined) warning.keyword = issue.keyword;
      this.warnings.push(warning);
    }
    const layout = dataLayout(header, index === 0, context);
    const headerSize = this.#length;
    const hdu: HduInfo = { index, header, layout, headerOffset, headerSize, dataOffset: headerOffset + headerSize };
    const total = this.#options.totalSize;
    if (total !== undefined && hdu.dataOffset + layout.dataSize > total) {
      throw new IngestError(
        'SIZE_OVERRUN',
        `HDU ${index} declares ${layout.dataSize} data bytes from offset ${hdu.dataOffset}, past the end of the ${total}-byte file`,
        { context },
      );
    }
    this.#hdus.push(hdu);
    this.#current = hdu;
    this.#length = 0;
    this.#handler.header?.(hdu, bytes);
    this.#remaining = layout.paddedSize;
    if (this.#remaining === 0) this.#finishHdu();
    else this.#state = 'data';
  }

  /**
   * Signals the end of the stream. Throws EMPTY_FILE, NOT_FITS, TRUNCATED or MISSING_END when the stream did not
   * end at an HDU boundary; returns every HDU found.
   */
  end(): HduInfo[] {
    const index = this.#hdus.length;
    if (this.#state === 'header' && this.#length > 0) {
      const headerOffset = this.#offset - this.#length;
      if (index === 0 && this.#length < 9) {
        throw new IngestError('NOT_FITS', `only ${this.#length} bytes: too short to be a FITS file`, {
          context: this.#context({ offset: 0 }),
        });
      }
      if (this.#length < 9 && !this.#checkSignature()) return this.end();
      const wholeCards = Math.floor(this.#length / CARD) * CARD;
      const end = findEndCard(this.#buffer, 0, wholeCards);
      const context = this.#context({ hdu: index, offset: headerOffset });
      if (end < 0 && this.#length % BLOCK === 0) {
        throw new IngestError('MISSING_END', `the header of HDU ${index} has no END card before the end of the file`, {
          context,
        });
      }
      if (end < 0) {
        throw new IngestError('TRUNCATED', `the file ends inside the header of HDU ${index}, ${this.#length} bytes after it began`, {
          context,
        });
      }
      if (this.#options.strict) {
        throw new IngestError('NONCONFORMING_HEADER', `the header of HDU ${index} is not padded to a whole 2880-byte block`, {
          context,
        });
      }
      // Lenient: a last header cut short after its END card (missing padding).
      this.#completeHeader(this.#length);
    }
    if (this.#state === 'data') {
      const hdu = this.#current!;
      const consumed = hdu.layout.paddedSize - this.#remaining;
      if (consumed < hdu.layout.dataSize || this.#options.strict) {
        throw new IngestError(
          'TRUNCATED',
          `the file ends at byte ${this.#offset} inside the data of HDU ${hdu.index}, ${this.#remaining} bytes short of its declared size`,
          { context: this.#context({ hdu: hdu.index, offset: this.#offset }) },
        );
      }
      const missing = this.#remaining;
      const repair = this.#options.repairFill === true;
      this.warnings.push({
        code: 'MISSING_DATA_FILL',
        message: `the data of HDU ${hdu.index} is not padded to a whole 2880-byte block: ${missing} fill bytes missing at byte offset ${this.#offset}${repair ? ' (padded)' : ''}`,
        hdu: hdu.index,
        offset: this.#offset,
      });
      if (repair) {
        this.#handler.data?.(hdu, dataFill(hdu.layout.kind, missing), this.#offset);
        this.#advanceData(missing);
      } else {
        this.#finishHdu();
      }
    }
    if (this.#hdus.length === 0) {
      throw new IngestError('EMPTY_FILE', 'the file is empty', { context: this.#context({ offset: 0 }) });
    }
    this.#state = 'ended';
    return [...this.#hdus];
  }
}
