import { expectTypeOf, test } from 'vitest';
import { createMaildirTrigger, type MaildirTriggerOptions } from '../../../src/adapters/triggers/maildir.js';
import { buildAnnouncement, type AnnouncedFile, type AnnouncementMail } from '../../../src/adapters/triggers/mail.js';
import { createSmtpTrigger, type SmtpTrigger, type SmtpTriggerOptions } from '../../../src/adapters/triggers/smtp.js';
import type { Trigger } from '../../../src/core/ports/trigger.js';

test('options: roots and where refused mail goes are required; secrets are a string or a list', () => {
  expectTypeOf<{ roots: ['/data']; rejectedDir: '/var/mail/rejected'; users: { stb: 'pw' } }>().toExtend<SmtpTriggerOptions>();
  expectTypeOf<{ users: { stb: 'pw' } }>().not.toExtend<SmtpTriggerOptions>();
  expectTypeOf<{ roots: ['/data']; dir: '/var/mail/stb'; secret: 's' }>().toExtend<MaildirTriggerOptions>();
  expectTypeOf<SmtpTriggerOptions['secret']>().toEqualTypeOf<string | string[] | undefined>();
  expectTypeOf<MaildirTriggerOptions['pollIntervalMs']>().toEqualTypeOf<number | undefined>();
});

test('the factories return the Trigger port (SMTP adds address())', () => {
  expectTypeOf(createSmtpTrigger).returns.toEqualTypeOf<SmtpTrigger>();
  expectTypeOf<SmtpTrigger>().toExtend<Trigger>();
  expectTypeOf(createMaildirTrigger).returns.toEqualTypeOf<Trigger>();
});

test('announced files: only the path is required; level is 0 | 1 | 2', () => {
  expectTypeOf<{ path: string }>().toExtend<AnnouncedFile>();
  expectTypeOf<AnnouncedFile['level']>().toEqualTypeOf<0 | 1 | 2 | undefined>();
  expectTypeOf(buildAnnouncement).returns.toEqualTypeOf<AnnouncementMail>();
});
