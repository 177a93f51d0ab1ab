/**
 * One error type for the whole library. Every failure a caller can act on is an {@link IngestError} with a
 * string-literal `code`, a `kind` that says whether retrying can help, and typed context (file, HDU, byte offset,
 * card number…). Messages say what was wrong, where, and what to do.
 *
 * @module
 */

/**
 * How a failure should be handled:
 * - `invalid`: the input itself is bad (a truncated FITS file, a rejected path). Retrying the same bytes cannot help;
 *   the file is quarantined with this code.
 * - `transient`: the environment failed (a disk full, a peer down, a lock held). Retry later with backoff.
 * - `usage`: the caller or the configuration is wrong (bad option, unknown instrument name). Fix the call.
 * - `internal`: a bug in fits-ingest or an adapter; report it.
 */
export type ErrorKind = 'invalid' | 'transient' | 'usage' | 'internal';

/**
 * Every error code, with its kind and a default hint telling the user what to do. Adding a code here is the
 * only way to create a new one: the {@link IngestErrorCode} union is derived from this table.
 */
export const errorCodes = {
  // --- FITS structure (src/core/fits) ---
  EMPTY_FILE: { kind: 'invalid', hint: 'the file has no bytes; check that the instrument finished writing it' },
  NOT_FITS: { kind: 'invalid', hint: 'a FITS file starts with "SIMPLE  =" in its first card; check the file type' },
  TRUNCATED: { kind: 'invalid', hint: 'the file ends before the size its headers declare; re-copy it from the source' },
  MISSING_END: { kind: 'invalid', hint: 'no END card was found in the header; the header is damaged or incomplete' },
  BAD_CARD: { kind: 'invalid', hint: 'the header card does not follow the FITS card syntax (FITS Standard 4.0 §4)' },
  BAD_KEYWORD_VALUE: {
    kind: 'invalid',
    hint: 'a mandatory keyword (BITPIX, NAXIS, NAXISn, PCOUNT, GCOUNT) is missing or has an impossible value',
  },
  SIZE_OVERRUN: { kind: 'invalid', hint: 'the data size declared by the header runs past the end of the file' },
  TRAILING_GARBAGE: {
    kind: 'invalid',
    hint: 'bytes after the last HDU do not form a valid HDU; remove them or re-copy the file',
  },
  NONCONFORMING_HEADER: {
    kind: 'invalid',
    hint: 'the header violates the FITS standard at the cards listed; read it leniently or repair the cards',
  },
  MISSING_DATA_FILL: {
    kind: 'invalid',
    hint: "the last data block is not padded to a whole 2880-byte block and the instrument's conformance.missingFill says reject; re-copy the file, or set missingFill to repair",
  },
  VALUE_OUT_OF_RANGE: {
    kind: 'invalid',
    hint: "a keyword-table value is beyond what the catalog column can hold (e.g. 1.0D99999) and the instrument's conformance.outOfRange says reject; fix the keyword, or set outOfRange to null",
  },
  HEADER_TOO_LARGE: { kind: 'invalid', hint: 'the header exceeds the configured maximum size; raise maxHeaderBytes' },
  BAD_CHECKSUM_ENCODING: { kind: 'invalid', hint: 'a CHECKSUM value must be 16 characters of the FITS encoding' },
  CHECKSUM_MISMATCH: { kind: 'invalid', hint: 'the bytes changed since the checksum was written; re-copy the file' },
  NOT_FOREIGN: {
    kind: 'invalid',
    hint: 'the file holds no FOREIGN extension (a wrapped non-FITS file); only files made by "fits-ingest foreign wrap" or IRAF fgwrite can be unwrapped',
  },
  FOREIGN_SIZE_MISMATCH: {
    kind: 'invalid',
    hint: "the FOREIGN extension's FG_FSIZE disagrees with its data size; the wrapper is damaged — restore the file from another copy",
  },
  NO_SUCH_HDU: { kind: 'usage', hint: 'ask for an HDU index between 0 and the number of HDUs minus one' },
  NO_SUCH_KEYWORD: { kind: 'usage', hint: 'the keyword is not in this header' },
  WRONG_VALUE_TYPE: { kind: 'usage', hint: 'the keyword holds a value of another type; use the matching getter' },
  BAD_KEYWORD: { kind: 'usage', hint: 'keywords are up to 8 characters from A-Z 0-9 _ - (or use HIERARCH)' },
  VALUE_TOO_LONG: { kind: 'usage', hint: 'the value and comment do not fit in one 80-character card' },

  // --- I/O and environment ---
  IO_ERROR: { kind: 'transient', hint: 'an operating-system call failed; check the path, permissions and free space' },
  FILE_NOT_FOUND: { kind: 'transient', hint: 'the file does not exist (yet); check the path' },
  TIMEOUT: { kind: 'transient', hint: 'the operation took longer than its time limit' },
  NO_SPACE: {
    kind: 'transient',
    hint: 'the disk (or quota) is full: free space on the filesystem named in the message, then run again (nothing half-written is kept)',
  },
  STEP_TIMEOUT: {
    kind: 'transient',
    hint: 'a step did not finish within stepTimeoutMs (a hung mount or a stalled disk?); check the mount, the file is retried',
  },
  ENGINE_HALTED: {
    kind: 'transient',
    hint: 'the engine stopped because its catalog could not be written (see the cause); fix it and run again: unfinished files resume',
  },
  ABORTED: { kind: 'transient', hint: 'the operation was cancelled' },

  // --- instruments (src/instruments) ---
  INSTRUMENT_CONFIG_INVALID: {
    kind: 'usage',
    hint: 'fix the instrument description at the field named in the message (see docs/instruments.md)',
  },
  UNKNOWN_INSTRUMENT: {
    kind: 'invalid',
    hint: 'no instrument description matches the header (INSTRUME and aliases); add an alias or a description',
  },
  ARCHIVE_ID_FAILED: {
    kind: 'invalid',
    hint: 'the header lacks a value the archive id needs (date, time, or a keyword the prefix rules or template use)',
  },

  // --- normalization (src/core/normalize) ---
  BAD_DATE_OBS: {
    kind: 'invalid',
    hint: "DATE-OBS is missing or unreadable and the instrument's dateRepair rules say reject; fix the header or the rules",
  },
  NORMALIZATION_REQUIRED: {
    kind: 'invalid',
    hint: "the instrument's normalization policy says require: the header must already hold this value in the archive's form",
  },
  BAD_UT: {
    kind: 'invalid',
    hint: "the UT time is missing or unreadable and the instrument's dateRepair rules say reject",
  },

  // --- lifecycle and runtime (src/core/lifecycle, src/core/runtime) ---
  ILLEGAL_TRANSITION: { kind: 'internal', hint: 'the state machine refused a move; this is a bug in the caller' },
  CONFLICT: { kind: 'transient', hint: 'another worker changed the record at the same time; the step is retried' },
  NOT_FOUND: { kind: 'usage', hint: 'no record matches; check the id or archive id' },
  PATH_REJECTED: {
    kind: 'invalid',
    hint: "the path matches the instrument's reject patterns (test or temporary files); check the paths rules",
  },
  SOURCE_CHANGED: {
    kind: 'transient',
    hint: 'the file changed while it was being read (ingestion checks it for stability again; other commands: rerun once the file is final)',
  },
  CATALOG_FULL: {
    kind: 'transient',
    hint: 'the disk holding the catalog is full: free space there, then run again (unfinished files resume where they stopped)',
  },
  CATALOG_UNWRITABLE: {
    kind: 'transient',
    hint: 'the catalog file cannot be written (read-only, permissions, I/O error): fix its disk or mount, then run again',
  },
  CATALOG_NOT_OPEN: { kind: 'usage', hint: 'call init() before using the catalog, and do not use it after close()' },
  CATALOG_BUSY: {
    kind: 'transient',
    hint: 'another process holds the catalog lock; the step is retried (raise busyTimeoutMs if this persists)',
  },
  CATALOG_UNREACHABLE: {
    kind: 'transient',
    hint: 'the catalog server cannot be reached or dropped the connection; the step is retried on a new connection (check the server and the network if this persists)',
  },
  CATALOG_UNUSABLE: {
    kind: 'usage',
    hint: 'the catalog database is damaged, not a fits-ingest catalog, or from a newer version; restore or upgrade',
  },
  CATALOG_NOT_EMPTY: {
    kind: 'usage',
    hint: 'copy into an empty database, or say that its contents may be replaced (catalog copy --replace)',
  },
  COPY_MISMATCH: {
    kind: 'internal',
    hint: 'the copy of the catalog differs from its source (counts or per-file sums); nothing depends on it yet: look into both before using it',
  },
  DEPENDENCY_MISSING: { kind: 'usage', hint: 'install (or rebuild) the package named in the message, then retry' },

  // --- keyword monitor ---
  KEYWORD_SOURCE_UNAVAILABLE: {
    kind: 'transient',
    hint: 'the keyword publisher cannot be reached or stopped answering; check its endpoint and that it runs — the monitor reconnects with backoff',
  },
  KEYWORD_GAP: {
    kind: 'transient',
    hint: 'files were announced while the monitor was disconnected and only the latest was seen; scan the data directory (fits-ingest ingest) to catch up',
  },
  KEYWORD_HEARTBEAT_STALE: {
    kind: 'transient',
    hint: "the heartbeat key stopped changing; check that the instrument's keyword service is alive",
  },
  KEYWORD_PATH_REJECTED: {
    kind: 'invalid',
    hint: 'the announced path is not a file under keywordTrigger.roots (or leaves them through .. or a symlink); it is not ingested',
  },
  KEYWORD_FILE_MISSING: {
    kind: 'transient',
    hint: 'the announced file was not visible after the retries (slow NFS?); it is submitted anyway and the runtime keeps looking',
  },
  KEYWORD_BAD_MESSAGE: {
    kind: 'invalid',
    hint: 'a keyword message is not JSON { value, time } or its value does not fit its role (a path, a frame number); fix the publisher',
  },

  // --- triggers and transports ---
  ALREADY_STARTED: { kind: 'usage', hint: 'it is started already: stop it first (the engine), or create a new one (a trigger starts once)' },
  WATCH_ERROR: {
    kind: 'transient',
    hint: 'check that the watched directory exists and is readable by this process; other paths keep being watched',
  },
  SUBMIT_FAILED: { kind: 'transient', hint: 'the runtime refused the announcement; the file is announced again when it changes' },
  QUEUE_BACKLOG: {
    kind: 'transient',
    hint: 'announcements arrive faster than the runtime accepts them; they are coalesced per path, nothing is lost',
  },
  ARCHIVE_ID_CONFLICT: {
    kind: 'invalid',
    hint: 'the archive already holds different bytes under this archive id; reingest with replace, or fix the id',
  },
  DIGEST_MISMATCH: {
    kind: 'transient',
    hint: 'the bytes read do not match the expected size or SHA-256; the copy was removed and can be retried',
  },
  DESTINATION_EXISTS: {
    kind: 'usage',
    hint: 'a file of that name is already there; move it away, choose another destination, or allow overwriting',
  },
  UNSAFE_DESTINATION: {
    kind: 'invalid',
    hint: 'the destination path would leave the archive root (.., an absolute path, a symlink, or an unsafe name)',
  },

  // --- mail and notifiers ---
  MAIL_MALFORMED: {
    kind: 'invalid',
    hint: 'the announcement does not follow the message format (docs/mail.md); it is kept in the rejected folder',
  },
  MAIL_SIGNATURE: {
    kind: 'invalid',
    hint: 'the X-Fits-Ingest-Signature header is missing, wrong or outside its time window; check the shared secret and the clock of the sender',
  },
  MAIL_PATH_OUTSIDE_ROOTS: {
    kind: 'invalid',
    hint: 'announced paths must be absolute, without "..", under one of the configured roots',
  },
  MAIL_TOO_LARGE: { kind: 'invalid', hint: 'the message exceeds maxMessageBytes; split the announcement into several messages' },
  MAIL_AUTH_FAILED: { kind: 'invalid', hint: 'wrong SMTP user name or password; check the users table of the receiver' },
  NOTIFY_FAILED: {
    kind: 'transient',
    hint: 'the mail server or webhook endpoint did not accept the notification in time; check that it is reachable',
  },
  NOTIFY_REJECTED: {
    kind: 'invalid',
    hint: 'the notification was refused (no recipient, an address refused by the mail server, a 4xx reply of the webhook); fix the address or the endpoint',
  },

  // --- http (src/adapters/http) ---
  UNAUTHORIZED: {
    kind: 'usage',
    hint: 'send a valid, unexpired bearer token (Authorization: Bearer <token>); the archive operator issues tokens',
  },
  FORBIDDEN: {
    kind: 'usage',
    hint: 'the token lacks the scope (push, read, admin) or the instrument this request needs; ask the archive operator',
  },
  BAD_REQUEST: { kind: 'usage', hint: 'fix the request field named in the message (see docs/http.md and docs/openapi.yaml)' },
  PAYLOAD_TOO_LARGE: {
    kind: 'usage',
    hint: "the body or the declared size exceeds the server's limit; send a smaller file or ask the operator to raise it",
  },
  UPLOAD_NOT_FOUND: {
    kind: 'transient',
    hint: 'the upload id is unknown, expired or already complete; create the upload again (POST /v1/uploads)',
  },
  UPLOAD_OFFSET_MISMATCH: {
    kind: 'transient',
    hint: 'ask the server how many bytes it holds (HEAD /v1/uploads/{id}) and continue from that offset',
  },
  UPLOAD_BUSY: { kind: 'transient', hint: 'another request is writing this upload; wait, then ask for the offset again' },
  NOT_RECEIVED: { kind: 'usage', hint: 'upload the file (POST /v1/uploads) before asking for its ingestion' },
  PARENT_UNKNOWN: {
    kind: 'invalid',
    hint: 'a product must name raw frames the archive holds; archive the parents first or fix their archive ids',
  },
  CONNECTION_FAILED: {
    kind: 'transient',
    hint: 'the peer could not be reached or dropped the connection; check the URL and network, it is retried with backoff',
  },
  SERVER_ERROR: {
    kind: 'transient',
    hint: 'the server failed or is busy (5xx, 429); it is retried with backoff — check its log if this persists',
  },
  TLS_UNTRUSTED: {
    kind: 'usage',
    hint: "the server's TLS certificate is not trusted or does not name this host; pass its CA certificate (--ca FILE)",
  },
  REMOTE_REJECTED: {
    kind: 'invalid',
    hint: "the archive refused the file as invalid; the message carries the archive's code and reason",
  },
  REMOTE_ABANDONED: {
    kind: 'transient',
    hint: 'the archive gave up on the file after its own retries; sending it again asks the archive to try again',
  },
  WEBHOOK_SIGNATURE_INVALID: {
    kind: 'invalid',
    hint: 'the callback signature or timestamp does not verify; check the shared secret and both clocks',
  },

  // --- removable media (src/adapters/transports/media) ---
  MEDIA_ITEM_TOO_LARGE: {
    kind: 'invalid',
    hint: 'the file does not fit in an empty volume; write it with a larger --volume-size (files never span volumes)',
  },
  MEDIA_BAD_INDEX: {
    kind: 'invalid',
    hint: 'the volume label or index member is missing or damaged; use another copy of the volume (see docs/media.md)',
  },
  MEDIA_MEMBER_CORRUPT: {
    kind: 'invalid',
    hint: 'the member read back does not match its recorded size, SHA-256 or FITS sums; restore it from another copy',
  },
  MEDIA_SEQUENCE: {
    kind: 'invalid',
    hint: 'serial numbers are missing or repeated across the volumes given; check that every volume of the set is there',
  },

  // --- distribution packages (src/core/distribute, src/distribute) ---
  NO_SUCH_PROGRAM: {
    kind: 'usage',
    hint: 'check the program id and the night range (fits-ingest catalog query --where "progid = ID" lists its frames)',
  },
  ARCHIVED_COPY_MISSING: {
    kind: 'invalid',
    hint: 'no location of the archived file holds its cataloged bytes; restore it from another copy (media restore) and distribute again',
  },
  UNCATALOGED: {
    kind: 'invalid',
    hint: 'the scrub found this file in the archive storage but the catalog does not know it; it is kept as it is: ingest it (fits-ingest requeue <record id>) or move it away',
  },

  // --- reprocessing (src/core/processing, src/processing, src/adapters/processors) ---
  CALIBRATION_OVERLAP: {
    kind: 'usage',
    hint: 'a certified range of the same instrument and kind already covers part of this range; decertify that part first, or certify with replace (recertification)',
  },
  CALIBRATION_NOT_FOUND: {
    kind: 'invalid',
    hint: "no calibration set is certified for the frame's observation time nor close enough by the instrument's rules; certify one (fits-ingest calib certify) or widen fallbackHours",
  },
  REQUEST_NOT_FOUND: { kind: 'usage', hint: 'no processing request has this id; list them with `fits-ingest requests list`' },
  PROCESSOR_FAILED: {
    kind: 'invalid',
    hint: "the pipeline exited with an error; read the request's log (fits-ingest requests show ID), fix the pipeline or its inputs, then submit again",
  },
  PROCESSOR_TIMEOUT: {
    kind: 'transient',
    hint: 'the pipeline ran past its timeout and was killed with its process group; raise timeoutMs or look at its log for a hang',
  },

  // --- configuration and usage ---
  INVALID_OPTIONS: { kind: 'usage', hint: 'fix the option named in the message' },
  UNSUPPORTED_OPERATION: { kind: 'usage', hint: 'this adapter does not support the operation; check its capabilities' },
  INTERNAL: { kind: 'internal', hint: 'this is a bug in fits-ingest; please report it with the message' },
} as const satisfies Record<string, { kind: ErrorKind; hint: string }>;

/** The closed set of error codes; see {@link errorCodes}. */
export type IngestErrorCode = keyof typeof errorCodes;

/** Where an error happened. Every field is optional; fill in what you know. */
export interface ErrorContext {
  /** Path or name of the file concerned. */
  file?: string;
  /** Zero-based HDU index (0 = primary). */
  hdu?: number;
  /** Byte offset from the start of the file. */
  offset?: number;
  /** One-based card number within the HDU's header. */
  card?: number;
  /** The FITS keyword concerned. */
  keyword?: string;
  /** A configuration field path, e.g. `keywordMap.DATE-OBS[0]`. */
  field?: string;
  /** Any further detail, JSON-serializable. */
  [key: string]: string | number | boolean | undefined | null | readonly (string | number)[];
}

/** Options for {@link IngestError}. */
export interface IngestErrorOptions {
  context?: ErrorContext;
  cause?: unknown;
  /** Replaces the code's default hint. */
  hint?: string;
}

function locate(context: ErrorContext): string {
  const parts: string[] = [];
  if (context.file !== undefined) parts.push(context.file);
  if (context.hdu !== undefined) parts.push(`HDU ${context.hdu}`);
  if (context.card !== undefined) parts.push(`card ${context.card}`);
  if (context.keyword !== undefined) parts.push(`keyword ${context.keyword}`);
  if (context.offset !== undefined) parts.push(`byte ${context.offset}`);
  if (context.field !== undefined) parts.push(`field ${context.field}`);
  return parts.join(', ');
}

/**
 * The one error class of fits-ingest. `message` is complete and human-readable: location, what was wrong, and
 * what to do. Use `code` in programs, never the message text.
 *
 * @example
 * ```ts
 * try { await verifyFile(path) } catch (e) {
 *   if (isIngestError(e, 'TRUNCATED')) console.error(e.message, e.context.offset)
 * }
 * ```
 */
export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly code: IngestErrorCode;
  readonly kind: ErrorKind;
  readonly context: ErrorContext;
  /** The problem without the location and hint. */
  readonly detail: string;
  readonly hint: string;

  constructor(code: IngestErrorCode, detail: string, options: IngestErrorOptions = {}) {
    const context = options.context ?? {};
    const hint = options.hint ?? errorCodes[code].hint;
    const where = locate(context);
    super(`${where ? `${where}: ` : ''}${detail} [${code}]${hint ? ` — ${hint}` : ''}`, { cause: options.cause });
    this.code = code;
    this.kind = errorCodes[code].kind;
    this.context = context;
    this.detail = detail;
    this.hint = hint;
  }

  /**
   * A copy of this error with more context (e.g. the file name, added by a caller that knows it). Context the
   * error already carries wins over `extra`.
   */
  withContext(extra: ErrorContext): IngestError {
    return new IngestError(this.code, this.detail, {
      context: { ...definedOnly(extra), ...definedOnly(this.context) },
      cause: this.cause,
      hint: this.hint,
    });
  }

  /** A plain object for logs and JSON output. */
  toJSON(): { code: IngestErrorCode; kind: ErrorKind; message: string; context: ErrorContext } {
    return { code: this.code, kind: this.kind, message: this.message, context: this.context };
  }
}

function definedOnly(context: ErrorContext): ErrorContext {
  return Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined)) as ErrorContext;
}

/** True if `error` is an {@link IngestError}, optionally with one of the given codes. */
export function isIngestError<C extends IngestErrorCode>(
  error: unknown,
  ...codes: C[]
): error is IngestError & { code: C } {
  if (!(error instanceof IngestError)) {
    // Tolerate duplicated module copies (e.g. ESM and CJS builds loaded together).
    if (!(error instanceof Error) || error.name !== 'IngestError' || typeof (error as IngestError).code !== 'string') {
      return false;
    }
  }
  return codes.length === 0 || codes.includes((error as IngestError).code as C);
}

/**
 * Wraps an unknown thrown value into an IngestError: IngestErrors pass through (with extra context), Node.js
 * system errors map to IO_ERROR / FILE_NOT_FOUND, anything else becomes INTERNAL.
 */
export function toIngestError(error: unknown, context: ErrorContext = {}): IngestError {
  if (isIngestError(error)) return error.withContext(context);
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (errno === 'ENOENT') return new IngestError('FILE_NOT_FOUND', message, { context, cause: error });
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return new IngestError('NO_SPACE', message, { context: { ...context, errno }, cause: error });
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    return new IngestError('IO_ERROR', message, { context: { ...context, errno }, cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new IngestError('ABORTED', message, { context, cause: error });
  }
  return new IngestError('INTERNAL', message, { context, cause: error });
}
