/**
 * The SMTP trigger: an SMTP receiver (npm `smtp-server`) for announcement mails (docs/mail.md). Only
 * authenticated senders are accepted — SMTP AUTH (PLAIN/LOGIN against a users table) and/or a signed body.
 *
 * Replies: 250 once every announced file is recorded by the runtime (an acknowledged announcement is never
 * lost); 535 wrong credentials; 530 no AUTH when it is required; 552 over `maxMessageBytes`; 550 refused
 * (malformed, bad signature, path outside the roots) — the message is kept in `rejectedDir` (a Maildir) with its
 * reasons on top; 451 try again later (the runtime refused, the trigger is stopping, the kept copy could not be
 * written).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SMTPServer, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { z } from 'zod';
import { IngestError, toIngestError } from '../../core/errors.js';
import type { Trigger, TriggerSink } from '../../core/ports/trigger.js';
import { startStop } from '../../core/runtime/once.js';
import { parseOptions } from '../_shared/options.js';
import { MailGate } from './_mail-gate.js';
import { importFunction } from '../_shared/import-optional.js';
import { mailParser, readAnnouncement, type Envelope, type IntakeSettings } from './mail-intake.js';
import { ensureMaildir } from './_mail-maildir.js';
import { intakeSettings, mailIntakeShape, refineSignature } from './mail-options.js';
import { keepRejected } from './_mail-reject.js';
import { checkMailPassword, readUsersFile } from './mail-users.js';
import { alertFrom } from './_submit-queue.js';

/** Name of the SMTP trigger. */
export const SMTP_TRIGGER = 'smtp';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

const smtpTriggerOptionsSchema = z
  .strictObject({
    ...mailIntakeShape,
    /** The trigger's name, on every item and alert. @default 'smtp' */
    name: z.string().min(1).default(SMTP_TRIGGER),
    /** Address to listen on. @default '127.0.0.1' */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one (see `address()`). @default 2525 */
    port: z.int().min(0).max(65_535).default(2525),
    /** Maildir folder where refused messages are kept with their reasons (created if missing). */
    rejectedDir: z.string().min(1),
    /** SMTP users: name → password, plain or `scrypt$…` (see `hashMailPassword`). @default undefined */
    users: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** A file of `user:password-or-hash` lines, merged with `users`. @default undefined */
    usersFile: z.string().min(1).optional(),
    /** Refuse senders that did not authenticate with SMTP AUTH. @default true when users are configured */
    requireAuth: z.boolean().optional(),
    /** Offer STARTTLS with this PEM key and certificate (files); AUTH then needs TLS. @default undefined */
    tls: z.strictObject({ keyFile: z.string().min(1), certFile: z.string().min(1) }).optional(),
    /** Allow AUTH in clear text on a non-loopback address without TLS (passwords travel readable). @default false */
    allowInsecureAuth: z.boolean().default(false),
    /** Simultaneous SMTP connections at most. @default 32 */
    maxClients: z.int().min(1).default(32),
    /** Idle connections are closed after this long. @default 60000 */
    socketTimeoutMs: z.int().min(1000).default(60_000),
    /** On stop, connections still open are closed after this long. @default 2000 */
    closeTimeoutMs: z.int().min(0).default(2000),
  })
  .superRefine((options, ctx) => {
    refineSignature(options, ctx);
    const hasUsers = options.users !== undefined || options.usersFile !== undefined;
    const requireAuth = options.requireAuth ?? hasUsers;
    if (requireAuth && !hasUsers) ctx.addIssue({ code: 'custom', path: ['requireAuth'], message: 'requireAuth needs users or usersFile' });
    const requireSignature = options.requireSignature ?? options.secret !== undefined;
    if (!requireAuth && !requireSignature) {
      ctx.addIssue({ code: 'custom', path: ['users'], message: 'only authenticated senders are accepted: configure users (SMTP AUTH) and/or secret (signed bodies)' });
    }
    if (hasUsers && !options.tls && !options.allowInsecureAuth && !LOOPBACK.test(options.host)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: `AUTH on ${options.host} without TLS sends passwords in clear text: configure tls, or set allowInsecureAuth` });
    }
  });

/** Options of {@link createSmtpTrigger}. */
export type SmtpTriggerOptions = z.input<typeof smtpTriggerOptionsSchema>;
type Options = z.output<typeof smtpTriggerOptionsSchema>;

/** The SMTP trigger; `address()` tells where it listens once started. */
export interface SmtpTrigger extends Trigger {
  address(): { host: string; port: number } | undefined;
}

type ServerClass = new (options: SMTPServerOptions) => SMTPServer;

/** An SMTP reply carried by an Error, as smtp-server expects. */
function reply(code: number, text: string): Error & { responseCode: number } {
  const oneLine = text.replace(/\s+/g, ' ').slice(0, 480);
  return Object.assign(new Error(oneLine), { responseCode: code });
}

/** One running receiver: the server, the gate, the messages being handled. */
class Receiver {
  readonly gate: MailGate;
  readonly handling = new Set<Promise<unknown>>();
  stopping = false;
  server: SMTPServer | undefined;

  constructor(
    readonly options: Options,
    readonly settings: IntakeSettings,
    readonly sink: TriggerSink,
    readonly users: Record<string, string>,
  ) {
    this.gate = new MailGate(sink, options.maxConcurrentSubmits, options.seenLimit);
  }

  async authenticate(user: string, password: string, remote: string): Promise<boolean> {
    const stored = Object.hasOwn(this.users, user) ? this.users[user] : undefined;
    const ok = await checkMailPassword(stored ?? 'scrypt$00000000000000000000000000000000$' + '0'.repeat(64), password);
    if (ok && stored !== undefined) return true;
    const error = new IngestError('MAIL_AUTH_FAILED', `SMTP AUTH refused for user ${JSON.stringify(user)} from ${remote}`);
    alertFrom(this.sink, this.options.name, error);
    return false;
  }

  /** Handles one received message; resolves to the 250 text or rejects with the SMTP error reply. */
  async message(raw: Buffer, oversized: boolean, session: SMTPServerSession): Promise<string> {
    const envelope: Envelope = { receivedAt: Date.now(), remoteAddress: session.remoteAddress };
    if (typeof session.user === 'string') envelope.user = session.user;
    if (session.envelope.mailFrom) envelope.mailFrom = session.envelope.mailFrom.address;
    if (this.stopping) throw reply(451, 'the receiver is stopping; try again later');
    const { name, rejectedDir, maxMessageBytes } = this.options;
    try {
      if (oversized) {
        const reason = `the message exceeds ${maxMessageBytes} bytes; its first ${maxMessageBytes} bytes are kept`;
        await keepRejected(this.sink, rejectedDir, raw, { code: 'MAIL_TOO_LARGE', reasons: [reason] }, envelope, name);
        throw reply(552, `message exceeds the fixed maximum message size ${maxMessageBytes}`);
      }
      const intake = await readAnnouncement(raw, envelope, this.settings);
      if (!intake.ok) {
        const error = await keepRejected(this.sink, rejectedDir, raw, intake.rejection, envelope, name);
        throw reply(550, `${error.code}: ${intake.rejection.reasons.join('; ')}`);
      }
      const { submitted, repeated } = await this.gate.submitAll(intake.announced);
      return `accepted: ${submitted} file(s) announced${repeated > 0 ? `, ${repeated} repeat(s) ignored` : ''}`;
    } catch (error) {
      if (typeof (error as { responseCode?: unknown }).responseCode === 'number') throw error;
      const e = toIngestError(error);
      alertFrom(this.sink, name, e);
      throw reply(451, `not accepted now, try again later: ${e.detail}`);
    }
  }

  onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (error?: Error | null, message?: string) => void): void {
    const chunks: Buffer[] = [];
    let kept = 0;
    const limit = this.options.maxMessageBytes;
    stream.on('data', (chunk: Buffer) => {
      if (kept >= limit) return;
      chunks.push(chunk.subarray(0, limit - kept));
      kept += Math.min(chunk.length, limit - kept);
    });
    stream.on('error', (error) => done(reply(451, `reading the message failed: ${error.message}`)));
    stream.on('end', () => {
      const work = this.message(Buffer.concat(chunks), stream.sizeExceeded, session).then(
        (text) => done(null, text),
        (error: Error) => done(error),
      );
      this.handling.add(work);
      void work.finally(() => this.handling.delete(work));
    });
  }
}

/**
 * Creates the SMTP trigger. `start()` resolves once the server listens; `stop()` stops accepting (messages
 * finishing meanwhile get 451), waits for the announcements being recorded, and closes the connections.
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong (among them: no authentication configured).
 */
export function createSmtpTrigger(input: SmtpTriggerOptions): SmtpTrigger {
  const options = parseOptions(smtpTriggerOptionsSchema, input, 'the SMTP trigger');
  const settings = intakeSettings(options.name, options);
  const rejectedDir = resolve(options.rejectedDir);
  let receiver: Receiver | undefined;
  let listening: { host: string; port: number } | undefined;

  const lifecycle = startStop({
    name: `trigger "${options.name}"`,
    interruptStart: true,
    async start(sink: TriggerSink) {
      const Server = await importFunction<ServerClass>({ name: 'smtp-server', range: '3', neededBy: 'the SMTP trigger' }, 'SMTPServer');
      await mailParser();
      const users = { ...(options.usersFile ? await readUsersFile(options.usersFile) : {}), ...options.users };
      const hasUsers = options.users !== undefined || options.usersFile !== undefined;
      const tls = options.tls ? { key: await readFile(options.tls.keyFile), cert: await readFile(options.tls.certFile) } : undefined;
      await ensureMaildir(rejectedDir);
      const run = new Receiver({ ...options, rejectedDir }, settings, sink, users);
      receiver = run;
      const server = new Server({
        banner: 'fits-ingest announcement receiver',
        logger: false,
        disableReverseLookup: true,
        size: options.maxMessageBytes,
        rejectOversized: true,
        authMethods: ['PLAIN', 'LOGIN'],
        authOptional: !(options.requireAuth ?? hasUsers),
        disabledCommands: [...(hasUsers ? [] : ['AUTH']), ...(tls ? [] : ['STARTTLS'])],
        allowInsecureAuth: !tls,
        ...(tls ?? {}),
        maxClients: options.maxClients,
        socketTimeout: options.socketTimeoutMs,
        closeTimeout: options.closeTimeoutMs,
        onAuth(auth, session, callback) {
          run.authenticate(auth.username ?? '', auth.password ?? '', session.remoteAddress).then(
            (ok) => (ok ? callback(null, { user: auth.username }) : callback(reply(535, 'authentication failed: wrong user name or password'))),
            (error: unknown) => callback(reply(454, `authentication unavailable: ${toIngestError(error).detail}`)),
          );
        },
        onData: (stream, session, callback) => run.onData(stream, session, callback),
      });
      run.server = server;
      await new Promise<void>((resolveListen, rejectListen) => {
        server.on('error', (error: Error & { remoteAddress?: string }) => {
          if (!listening) rejectListen(toIngestError(error, { field: 'port' }));
          // An error of one client's connection is that client's business (it sees its transaction fail).
          else if (error.remoteAddress === undefined) alertFrom(sink, options.name, toIngestError(error));
        });
        server.listen(options.port, options.host, () => resolveListen());
      });
      const address = server.server.address();
      listening = typeof address === 'object' && address ? { host: address.address, port: address.port } : { host: options.host, port: options.port };
    },
    async stop() {
      const run = receiver;
      receiver = undefined;
      if (!run) return;
      run.stopping = true;
      const closed = new Promise<void>((done) => (run.server ? run.server.close(() => done()) : done()));
      const gateClosed = run.gate.close();
      await Promise.allSettled([...run.handling]);
      await gateClosed;
      for (const connection of run.server?.connections ?? []) connection.close();
      await closed;
      listening = undefined;
    },
  });
  return {
    name: options.name,
    capabilities: { continuous: true, announcesComplete: true },
    address: () => listening,
    start: lifecycle.start,
    stop: lifecycle.stop,
  };
}
