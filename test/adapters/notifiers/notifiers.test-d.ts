import { expectTypeOf, test } from 'vitest';
import { attachNotifications, type NotificationRules, type NotificationsHandle, type ProgramDirectory } from '../../../src/adapters/notifiers/index.js';
import { createMailNotifier, type MailNotifierOptions } from '../../../src/adapters/notifiers/mail.js';
import { createWebhookNotifier, type WebhookNotifierOptions } from '../../../src/adapters/notifiers/webhook.js';
import type { NotificationKind, Notifier } from '../../../src/core/ports/notifier.js';

test('the factories return the Notifier port', () => {
  expectTypeOf(createMailNotifier).returns.toEqualTypeOf<Notifier>();
  expectTypeOf(createWebhookNotifier).returns.toEqualTypeOf<Notifier>();
});

test('options: the mail notifier needs a server and a sender; the webhook a URL', () => {
  expectTypeOf<{ transport: { host: 'smtp' }; from: 'a@b' }>().toExtend<MailNotifierOptions>();
  expectTypeOf<{ from: 'a@b' }>().not.toExtend<MailNotifierOptions>();
  expectTypeOf<{ url: 'https://x' }>().toExtend<WebhookNotifierOptions>();
});

test('rules, kinds and the program directory are closed, typed data', () => {
  expectTypeOf<NotificationKind>().toEqualTypeOf<'first-frame' | 'file-invalid' | 'file-abandoned' | 'trigger-alert' | 'scrub-alert' | 'products-ready' | 'release'>();
  expectTypeOf<{ alerts: { throttleMs: 3600000 } }>().toExtend<NotificationRules>();
  expectTypeOf<{ alerts: { throttle: 1 } }>().not.toExtend<NotificationRules>();
  expectTypeOf<{ K123: { pi: 'Ana'; email: 'ana@x.org' } }>().toExtend<ProgramDirectory>();
  expectTypeOf(attachNotifications).returns.toEqualTypeOf<NotificationsHandle>();
});
