/**
 * The mail notifier: hands notifications to an SMTP server with nodemailer (loaded lazily). It is an addressed
 * notifier: each notification goes to its `to` addresses (the PI, the operators), plus `bcc`.
 *
 * @module
 */
import type { Transporter } from 'nodemailer';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import type { Notification, Notifier } from '../../core/ports/notifier.js';
import { parseOptions } from '../_shared/options.js';
import { importFunction } from '../_shared/import-optional.js';

/** Name of the mail notifier. */
export const MAIL_NOTIFIER = 'mail';

const mailNotifierOptionsSchema = z.strictObject({
  /** The notifier's name, in logs and errors. @default 'mail' */
  name: z.string().min(1).default(MAIL_NOTIFIER),
  /** The SMTP server that relays the mail (nodemailer SMTP options). */
  transport: z.strictObject({
    /** Host name or address of the SMTP server. */
    host: z.string().min(1),
    /** @default 25 */
    port: z.int().min(1).max(65_535).default(25),
    /** TLS from the first byte (port 465); otherwise STARTTLS is used when offered. @default false */
    secure: z.boolean().default(false),
    /** Fail unless the server offers STARTTLS. @default false */
    requireTLS: z.boolean().default(false),
    /** Never use STARTTLS, even when offered. @default false */
    ignoreTLS: z.boolean().default(false),
    /** Check the server's certificate. @default true */
    rejectUnauthorized: z.boolean().default(true),
    /** SMTP AUTH credentials. @default undefined (no AUTH) */
    auth: z.strictObject({ user: z.string().min(1), pass: z.string() }).optional(),
    /** Keep connections open between messages. @default true */
    pool: z.boolean().default(true),
    /** Time allowed to connect. @default 10000 */
    connectionTimeoutMs: z.int().min(100).default(10_000),
    /** Time allowed between two reads of the conversation. @default 30000 */
    socketTimeoutMs: z.int().min(100).default(30_000),
  }),
  /** Sender address, e.g. `"KOA ingestion" <koa@example.org>`. */
  from: z.string().min(3),
  /** Added to every mail, unseen by the recipients (an archive of notifications). @default [] */
  bcc: z.array(z.email()).default([]),
  /** Where replies go. @default undefined */
  replyTo: z.email().optional(),
});

/** Options of {@link createMailNotifier}. */
export type MailNotifierOptions = z.input<typeof mailNotifierOptionsSchema>;

type CreateTransport = (options: object) => Transporter;

/** An IngestError for a nodemailer failure: refused (5xx, bad envelope) or transient (network, 4xx). */
function sendError(error: unknown, notification: Notification): IngestError {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const refused = (e.responseCode !== undefined && e.responseCode >= 500) || e.code === 'EENVELOPE';
  const detail = `mail "${notification.subject}" to ${notification.to.join(', ')} was not sent: ${e.message ?? String(error)}`;
  return new IngestError(refused ? 'NOTIFY_REJECTED' : 'NOTIFY_FAILED', detail, { cause: error, context: { kind: notification.kind } });
}

/**
 * Creates the mail notifier. `send` resolves once the SMTP server accepted the mail for every recipient;
 * it throws NOTIFY_REJECTED when the server refused the mail or a recipient (5xx), NOTIFY_FAILED otherwise.
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong.
 */
export function createMailNotifier(input: MailNotifierOptions): Notifier {
  const options = parseOptions(mailNotifierOptionsSchema, input, 'the mail notifier');
  const t = options.transport;
  let transport: Promise<Transporter> | undefined;
  let closed = false;
  const open = (): Promise<Transporter> => {
    transport ??= importFunction<CreateTransport>({ name: 'nodemailer', range: '7', neededBy: 'the mail notifier' }, 'createTransport').then((create) =>
      create({
        host: t.host,
        port: t.port,
        secure: t.secure,
        requireTLS: t.requireTLS,
        ignoreTLS: t.ignoreTLS,
        tls: { rejectUnauthorized: t.rejectUnauthorized },
        ...(t.auth ? { auth: t.auth } : {}),
        pool: t.pool,
        connectionTimeout: t.connectionTimeoutMs,
        greetingTimeout: t.connectionTimeoutMs,
        socketTimeout: t.socketTimeoutMs,
      }),
    );
    transport.catch(() => (transport = undefined));
    return transport;
  };
  return {
    name: options.name,
    capabilities: { addressed: true },
    async send(notification) {
      if (closed) throw new IngestError('UNSUPPORTED_OPERATION', `the mail notifier "${options.name}" is closed`);
      if (notification.to.length === 0) {
        throw new IngestError('NOTIFY_REJECTED', `mail "${notification.subject}" has no recipient`, { context: { kind: notification.kind } });
      }
      const mailer = await open();
      let info: { accepted?: unknown[]; rejected?: unknown[] };
      try {
        info = (await mailer.sendMail({
          from: options.from,
          to: notification.to,
          ...(options.bcc.length > 0 ? { bcc: options.bcc } : {}),
          ...(options.replyTo ? { replyTo: options.replyTo } : {}),
          subject: notification.subject,
          text: notification.text,
          headers: { 'X-Fits-Ingest-Kind': notification.kind },
        })) as typeof info;
      } catch (error) {
        throw sendError(error, notification);
      }
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length > 0) {
        throw new IngestError('NOTIFY_REJECTED', `the mail server refused ${rejected.join(', ')} for "${notification.subject}" (the other recipients got it)`, {
          context: { kind: notification.kind },
        });
      }
    },
    async close() {
      closed = true;
      const pending = transport;
      transport = undefined;
      if (pending) (await pending.catch(() => undefined))?.close();
    },
  };
}

