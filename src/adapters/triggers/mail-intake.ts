/**
 * From the bytes of one mail to work items, or to a rejection with every reason: MIME parsing (mailparser,
 * loaded lazily), subject, signature, body format, roots. Shared by the SMTP and Maildir triggers. Internal to
 * src/adapters/triggers.
 *
 * @module
 */
import { normalize } from 'node:path';
import type { ParsedMail } from 'mailparser';
import type { IngestErrorCode } from '../../core/errors.js';
import type { WorkItem } from '../../core/ports/trigger.js';
import { DataRoots } from './_data-roots.js';
import { importFunction } from '../_shared/import-optional.js';
import { parseAnnouncementBody, type ParsedFile } from './_mail-format.js';
import { verifyBody, type SignatureWindow } from '../_shared/signature.js';

/** The subject every announcement starts with (case-insensitive); free text may follow. */
export const ANNOUNCE_SUBJECT = 'fits-ingest announce';

/** What the receiving trigger checks. */
export interface IntakeSettings {
  trigger: string;
  /** Absolute, normalized roots; announced paths must lie below one of them. */
  roots: readonly string[];
  /** Shared secrets for signed bodies (several during a rotation); empty when none is configured. */
  secrets: readonly string[];
  /** Reject unsigned bodies (a wrong signature is always rejected). */
  requireSignature: boolean;
  signatureWindow: SignatureWindow;
  maxFilesPerMessage: number;
}

/** What the transport knows about the message. */
export interface Envelope {
  /** SMTP AUTH user, when the sender authenticated. */
  user?: string;
  /** Envelope sender (MAIL FROM). */
  mailFrom?: string;
  remoteAddress?: string;
  receivedAt: number;
}

/** Why a message was refused: a code and every problem found. */
export interface Rejection {
  code: Extract<IngestErrorCode, 'MAIL_MALFORMED' | 'MAIL_SIGNATURE' | 'MAIL_PATH_OUTSIDE_ROOTS' | 'MAIL_TOO_LARGE'>;
  reasons: string[];
}

/** A work item and the identity used to drop repeated announcements of it. */
export interface Announced {
  item: WorkItem;
  identity: string;
}

/** The result of {@link readAnnouncement}. */
export type Intake = { ok: true; announced: Announced[]; messageId?: string } | { ok: false; rejection: Rejection };

type SimpleParser = (source: Buffer, options?: { skipImageLinks?: boolean; skipTextToHtml?: boolean }) => Promise<ParsedMail>;
let parser: Promise<SimpleParser> | undefined;

/** Loads mailparser once (rejecting with DEPENDENCY_MISSING when it is not installed). */
export function mailParser(): Promise<SimpleParser> {
  parser ??= importFunction<SimpleParser>({ name: 'mailparser', range: '3.9.3', neededBy: 'the mail triggers' }, 'simpleParser').catch((error: unknown) => {
    parser = undefined;
    throw error;
  });
  return parser;
}

const reject = (code: Rejection['code'], ...reasons: string[]): Intake => ({ ok: false, rejection: { code, reasons } });

function bodyOf(mail: ParsedMail): string | undefined {
  if (typeof mail.text === 'string' && mail.text.trim() !== '') return mail.text;
  const json = mail.attachments.filter((a) => a.contentType === 'application/json');
  return json.length === 1 ? json[0]!.content.toString('utf8') : undefined;
}

/** Why an announced path is refused (not absolute, "..", outside the roots as written or once symlinks resolve). */
async function pathProblem(path: string, roots: DataRoots): Promise<string | undefined> {
  const problem = roots.refuseAsWritten(path) ?? (await roots.refuseReal(path));
  return problem === undefined ? undefined : `${path}: ${problem}`;
}

function toItem(file: ParsedFile, mail: ParsedMail, envelope: Envelope, settings: IntakeSettings, signed: boolean): Announced {
  const from = mail.from?.value[0]?.address ?? envelope.mailFrom;
  const auth = [envelope.user !== undefined ? 'smtp-auth' : '', signed ? 'signature' : ''].filter(Boolean).join('+');
  const metadata: Record<string, string | number | boolean> = { senderAuth: auth || 'none' };
  const sender = envelope.user ?? from;
  if (sender !== undefined) metadata['sender'] = sender;
  if (mail.messageId !== undefined) metadata['messageId'] = mail.messageId;
  if (file.volume !== undefined) metadata['volume'] = file.volume;
  if (file.member !== undefined) metadata['member'] = file.member;
  if (file.hdu !== undefined) metadata['hdu'] = file.hdu;
  if (file.sha256 !== undefined) metadata['announcedSha256'] = file.sha256;
  if (file.size !== undefined) metadata['announcedSize'] = file.size;
  const item: WorkItem = {
    path: normalize(file.path),
    trigger: settings.trigger,
    detectedAt: envelope.receivedAt,
    complete: file.complete ?? true,
    metadata,
  };
  if (file.instrument !== undefined) item.instrument = file.instrument;
  if (file.level !== undefined) item.level = file.level;
  if (file.parents !== undefined) item.parents = file.parents;
  const identity = JSON.stringify([item.path, file.instrument, file.level, file.parents, file.volume, file.member, file.hdu, file.sha256, file.size, item.complete]);
  return { item, identity };
}

/**
 * Reads one message. Checks, in order: it is a MIME message with a `fits-ingest announce` subject; its signature
 * (when secrets are configured); its body format; the number of files; every path against the roots (as
 * written, and for files that exist already, once symbolic links are resolved).
 *
 * @throws IngestError DEPENDENCY_MISSING when mailparser cannot be loaded (the message must then not be refused).
 */
export async function readAnnouncement(raw: Uint8Array, envelope: Envelope, settings: IntakeSettings): Promise<Intake> {
  const simpleParser = await mailParser();
  let mail: ParsedMail;
  try {
    mail = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { skipImageLinks: true, skipTextToHtml: true });
  } catch (error) {
    return reject('MAIL_MALFORMED', `not a readable mail message: ${(error as Error).message}`);
  }
  const subject = mail.subject ?? '';
  if (!subject.trim().toLowerCase().startsWith(ANNOUNCE_SUBJECT)) {
    return reject('MAIL_MALFORMED', `the subject must start with "${ANNOUNCE_SUBJECT}" (it is ${JSON.stringify(subject.slice(0, 80))})`);
  }
  const body = bodyOf(mail);
  if (body === undefined) return reject('MAIL_MALFORMED', 'no text/plain or application/json body');
  const header = mail.headers.get('x-fits-ingest-signature');
  const signature = typeof header === 'string' ? header : undefined;
  let signed = false;
  if (settings.secrets.length > 0 && (signature !== undefined || settings.requireSignature)) {
    const check = verifyBody(signature, body, settings.secrets, envelope.receivedAt, settings.signatureWindow);
    if (!check.ok) return reject('MAIL_SIGNATURE', check.reason);
    signed = true;
  }
  const parsed = parseAnnouncementBody(body);
  if (!parsed.ok) return reject('MAIL_MALFORMED', ...parsed.problems);
  if (parsed.files.length > settings.maxFilesPerMessage) {
    return reject('MAIL_MALFORMED', `${parsed.files.length} files in one message; at most ${settings.maxFilesPerMessage} are accepted`);
  }
  const paths = parsed.files.map((file) => normalize(file.path));
  const twice = [...new Set(paths.filter((path, i) => paths.indexOf(path) !== i))];
  if (twice.length > 0) return reject('MAIL_MALFORMED', ...twice.map((path) => `${path} is announced more than once in the message`));
  const roots = new DataRoots(settings.roots);
  const outside = (await Promise.all(parsed.files.map((file) => pathProblem(file.path, roots)))).filter((p): p is string => p !== undefined);
  if (outside.length > 0) return reject('MAIL_PATH_OUTSIDE_ROOTS', ...outside);
  const announced = parsed.files.map((file) => toItem(file, mail, envelope, settings, signed));
  return mail.messageId !== undefined ? { ok: true, announced, messageId: mail.messageId } : { ok: true, announced };
}
