/** The mail notifier over real SMTP: nodemailer hands mail to a recording smtp-server on loopback. */
import * as vitest from 'vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailNotifier, MAIL_NOTIFIER } from '../../../src/adapters/notifiers/mail.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { Notifier } from '../../../src/core/ports/notifier.js';
import { notifierConformance, sampleNotification } from '../../../src/testing/notifier-conformance.js';
import { startSmtpSink, type SmtpSink } from './_smtp-sink.js';

const notifierFor = (sink: SmtpSink, extra: Partial<Parameters<typeof createMailNotifier>[0]> = {}): Notifier =>
  createMailNotifier({ transport: { host: '127.0.0.1', port: sink.port, ignoreTLS: true }, from: 'KOA ingestion <koa@archive.example.org>', ...extra });

describe('mail notifier: notifier conformance (recording SMTP server on loopback)', () => {
  notifierConformance(vitest, async () => {
    const sink = await startSmtpSink();
    return {
      notifier: notifierFor(sink),
      received: async () => sink.mails.map((m) => ({ kind: m.kind, to: m.rcpt, subject: m.subject, text: m.text })),
      refuse: async () => sink.refuse(),
      teardown: () => sink.close(),
    };
  });
});

describe('mail notifier', () => {
  let sink: SmtpSink | undefined;
  let notifier: Notifier | undefined;
  afterEach(async () => {
    await notifier?.close?.();
    await sink?.close();
    sink = undefined;
    notifier = undefined;
  });

  it('sends from the configured sender, with bcc and the kind header', async () => {
    sink = await startSmtpSink();
    notifier = notifierFor(sink, { bcc: ['log@archive.example.org'] });
    expect(notifier.name).toBe(MAIL_NOTIFIER);
    await notifier.send(sampleNotification(2, ['pi@example.org']));
    expect(sink.mails).toHaveLength(1);
    expect(sink.mails[0]).toMatchObject({ from: 'koa@archive.example.org', to: ['pi@example.org'], kind: 'first-frame' });
    expect(sink.mails[0]!.rcpt.sort()).toEqual(['log@archive.example.org', 'pi@example.org']);
  });

  it('says NOTIFY_FAILED when no mail server answers', async () => {
    sink = await startSmtpSink();
    const port = sink.port;
    await sink.close();
    sink = undefined;
    notifier = createMailNotifier({ transport: { host: '127.0.0.1', port, ignoreTLS: true, pool: false, connectionTimeoutMs: 2000 }, from: 'koa@archive.example.org' });
    const error = await notifier.send(sampleNotification(3)).catch((e: unknown) => e);
    expect(isIngestError(error, 'NOTIFY_FAILED')).toBe(true);
  });

  it('refuses options without a sender or server', () => {
    expect(() => createMailNotifier({ transport: { host: '' }, from: 'x' } as never)).toThrow(/INVALID_OPTIONS/);
  });
});
