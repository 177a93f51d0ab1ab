/** A tiny SMTP server on loopback that records the mail it gets (smtp-server + mailparser), or refuses it. */
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One recorded mail. */
export interface SunkMail {
  from: string;
  /** Envelope recipients (RCPT TO), bcc included. */
  rcpt: string[];
  to: string[];
  subject: string;
  text: string;
  kind?: string;
}

/** The running sink. */
export interface SmtpSink {
  port: number;
  mails: SunkMail[];
  /** From now on, refuse every recipient with 550. */
  refuse(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  let refusing = false;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    disableReverseLookup: true,
    closeTimeout: 500,
    onRcptTo(address, _session, callback) {
      if (refusing) return callback(Object.assign(new Error('no such user here'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const to = mail.to ? (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a.value.map((v) => v.address ?? '')) : [];
          const kind = mail.headers.get('x-fits-ingest-kind');
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcpt: session.envelope.rcptTo.map((r) => r.address),
            to,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            ...(typeof kind === 'string' ? { kind } : {}),
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    mails,
    refuse: () => void (refusing = true),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
