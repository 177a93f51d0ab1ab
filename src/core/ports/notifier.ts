/**
 * Notifier port: tells people and programs what happened (a PI's first frame of the night is in the archive,
 * a file was quarantined). What to send, to whom and how often is decided in the core (`src/core/notify`);
 * a notifier only delivers.
 *
 * @module
 */

/** What a notification is about. */
export type NotificationKind = 'first-frame' | 'file-invalid' | 'file-abandoned' | 'trigger-alert' | 'scrub-alert' | 'products-ready' | 'release';

/** A JSON-friendly value of {@link Notification.data}. */
export type NotificationValue = string | number | boolean | null;

/** One message to deliver. */
export interface Notification {
  kind: NotificationKind;
  /** E-mail addresses of the recipients; may be empty (a PI missing from the program directory). */
  to: string[];
  /** One line, for a mail subject or a chat title. */
  subject: string;
  /** Plain text, for people. */
  text: string;
  /** The facts, for programs: archive id, program, night, error code, counts… */
  data: Record<string, NotificationValue>;
  /** When it was decided (epoch ms of the injected clock). */
  at: number;
}

/** What a notifier does; the core branches on these, never on names. */
export interface NotifierCapabilities {
  /**
   * Delivers to the addresses in `to` (mail): a notification without recipients is not given to it. False for
   * notifiers with a fixed destination (a webhook), which receive every notification routed to them.
   */
  addressed: boolean;
}

/** Delivers notifications. */
export interface Notifier {
  readonly name: string;
  readonly capabilities: NotifierCapabilities;
  /**
   * Delivers one notification; resolves once the mail server or endpoint accepted it. Throws an IngestError:
   * NOTIFY_FAILED (transient: unreachable, timed out, 5xx after the retries) or NOTIFY_REJECTED (refused).
   */
  send(notification: Notification): Promise<void>;
  /** Releases connections. Idempotent. Optional: notifiers without lasting connections need none. */
  close?(): Promise<void>;
}
