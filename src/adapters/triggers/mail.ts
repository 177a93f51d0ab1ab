/**
 * The announcement mail format, for senders and receivers (docs/mail.md): build, sign and parse announcements
 * that the SMTP and Maildir triggers accept, and hash SMTP passwords for their users tables.
 *
 * @example
 * ```ts
 * import nodemailer from 'nodemailer'
 * import { buildAnnouncement } from 'fits-ingest/triggers/mail'
 *
 * const mail = buildAnnouncement([{ path: '/data/kcwi/kb261120_00042.fits', instrument: 'KCWI', volume: 'STB0042', member: 12, hdu: 0 }],
 *   { secret: process.env.FITS_INGEST_MAIL_SECRET })
 * await nodemailer.createTransport({ host: 'archive.example.org', port: 2525, auth: { user: 'mountain', pass } })
 *   .sendMail({ from: 'stb@mountain.example.org', to: 'ingest@archive.example.org', ...mail })
 * ```
 *
 * @module
 */
import { formatAnnouncementBody, parseAnnouncementBody, type AnnouncedFile, type ParsedBody } from './_mail-format.js';
import { ANNOUNCE_SUBJECT } from './mail-intake.js';
import { SIGNATURE_HEADER, signBody } from '../_shared/signature.js';

export { hashMailPassword } from './mail-users.js';
export { ANNOUNCE_SUBJECT, SIGNATURE_HEADER };
export type { AnnouncedFile, ParsedBody };

/** Options of {@link buildAnnouncement}. */
export interface BuildAnnouncementOptions {
  /** Body form. @default 'text' */
  format?: 'text' | 'json';
  /** Shared secret: adds the `X-Fits-Ingest-Signature` header. @default undefined (unsigned) */
  secret?: string;
  /** Signing time (epoch ms). @default Date.now() */
  now?: number;
  /** Free text after `fits-ingest announce` in the subject. @default the number of files */
  note?: string;
}

/** The parts of an announcement mail, ready for nodemailer's `sendMail` (add `from` and `to`). */
export interface AnnouncementMail {
  subject: string;
  text: string;
  headers: Record<string, string>;
}

/** The body of an announcement: one `file=… key=value…` line per file, or the JSON document. */
export function formatAnnouncement(files: readonly AnnouncedFile[], format: 'text' | 'json' = 'text'): string {
  return formatAnnouncementBody(files, format);
}

/** Parses an announcement body (JSON when it starts with `{`), returning the files or every problem found. */
export function parseAnnouncement(body: string): ParsedBody {
  return parseAnnouncementBody(body);
}

/** The `X-Fits-Ingest-Signature` value for `body`: `t=<unix seconds>,sha256=<HMAC-SHA256 of "<t>.<body>">`. */
export function signAnnouncement(body: string, secret: string, now: number = Date.now()): string {
  return signBody(body, secret, now);
}

/** Subject, body and headers of an announcement of `files`. */
export function buildAnnouncement(files: readonly AnnouncedFile[], options: BuildAnnouncementOptions = {}): AnnouncementMail {
  const text = formatAnnouncement(files, options.format ?? 'text');
  const headers: Record<string, string> = {};
  if (options.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(text, options.secret, options.now ?? Date.now());
  const note = options.note ?? `${files.length} file(s)`;
  return { subject: `${ANNOUNCE_SUBJECT}: ${note}`, text, headers };
}
