/**
 * Who is told what, and how often: a pure decision function over ingestor events.
 *
 * - **First frame of the night → PI.** The first level-0 file of a program archived on a night (no frame of that
 *   program and night archived before it in the catalog when its event is decided) mails the program's PI, once.
 *   Frames archived concurrently may commit out of `archivedAt` order; the PI still hears once. Files of an
 *   instrument whose description has `role: attachments` (wrapped weather tables, logs, notes) are not frames:
 *   `attachNotifications` neither announces them nor counts them as earlier frames.
 * - **INVALID / ABANDONED → operators**, and trigger alerts (a rejected mail, a stale heartbeat…).
 * - **Throttled per error code**: one notification per code per window (Keck: one mail per error code per hour);
 *   the next one after the window says how many were held back.
 *
 * `decideNotifications(state, event, rules, programs, now)` returns the new state and the notifications; the
 * caller keeps the state and delivers (see `attachNotifications`). No clock, no I/O.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import type { ArchivedFile } from '../ports/catalog.js';
import type { Notification } from '../ports/notifier.js';
import type { TriggerAlert } from '../ports/trigger.js';
import { fileProblemNotification, firstFrameNotification, triggerAlertNotification, type HeldBack } from './messages.js';
import { piAddresses, type ProgramDirectory } from './programs.js';

const level = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** The rules' schema; see {@link NotificationRules}. */
export const notificationRulesSchema = z.strictObject({
  /** Addresses of the operators who get alerts. @default [] */
  operators: z.array(z.email()).default([]),
  firstFrame: z
    .strictObject({
      /** Mail the PI when the first frame of their program is archived each night. @default true */
      enabled: z.boolean().default(true),
      /** Levels whose files count as frames. @default [0] */
      levels: z.array(level).min(1).default([0]),
      /** Send the operators a copy. @default false */
      copyOperators: z.boolean().default(false),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** Alert on INVALID files. @default true */
      invalid: z.boolean().default(true),
      /** Alert on ABANDONED files. @default true */
      abandoned: z.boolean().default(true),
      /** Alert on trigger alerts (rejected mail, stale heartbeat, queue backlog…). @default true */
      triggers: z.boolean().default(true),
      /** One alert per error code per this many ms; 0 sends every one. @default 3600000 (Keck: one per hour) */
      throttleMs: z.int().min(0).default(3_600_000),
    })
    .prefault({}),
  /** Name in subjects and signatures, e.g. `KOA`. @default 'fits-ingest' */
  archiveName: z.string().min(1).default('fits-ingest'),
});

/** Notification rules (input form: every field has a default). */
export type NotificationRules = z.input<typeof notificationRulesSchema>;
/** Notification rules with defaults filled in. */
export type ResolvedNotificationRules = z.output<typeof notificationRulesSchema>;

/** An ingestor event, with what the caller looked up for it. */
export type NotifyEvent =
  | {
      type: 'archived';
      record: FileRecord;
      file: ArchivedFile;
      /** The catalog holds a file of the same program, night and a counted level archived before this one. */
      earlierArchived: boolean;
    }
  | { type: 'invalid'; record: FileRecord }
  | { type: 'abandoned'; record: FileRecord }
  | { type: 'alert'; alert: TriggerAlert };

/** A throttle window of one error code. */
export interface ThrottleWindow {
  openedAt: number;
  /** Events held back in this window, and when the first of them happened. */
  held: number;
  firstHeldAt?: number;
}

/** What the decisions remember. Treat as opaque and immutable. */
export interface NotifyState {
  /** `program\u0000night` → when its PI was told (entries older than {@link TOLD_MEMORY_MS} are dropped). */
  readonly told: Readonly<Record<string, number>>;
  /** Error code → its current throttle window. */
  readonly windows: Readonly<Record<string, ThrottleWindow>>;
}

/** How long a PI notification is remembered (nights end; the catalog check covers restarts). */
export const TOLD_MEMORY_MS = 3 * 24 * 3600_000;

/** The state before any event. */
export const initialNotifyState: NotifyState = Object.freeze({ told: Object.freeze({}), windows: Object.freeze({}) });

/** The result of {@link decideNotifications}. */
export interface NotifyDecision {
  state: NotifyState;
  notifications: Notification[];
}

/**
 * Validates rules and fills in the defaults.
 *
 * @throws IngestError INVALID_OPTIONS naming the field.
 */
export function resolveRules(rules: NotificationRules | ResolvedNotificationRules = {}): ResolvedNotificationRules {
  const result = notificationRulesSchema.safeParse(rules);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => issue.path.map(String).join('.') || '(root)');
  throw new IngestError('INVALID_OPTIONS', `invalid notification rules:\n${z.prettifyError(result.error)}`, {
    context: { field: fields[0], fields },
    cause: result.error,
  });
}

function throttle(state: NotifyState, code: string, throttleMs: number, now: number): { state: NotifyState; send: boolean; held?: HeldBack } {
  const window = state.windows[code];
  if (window && now - window.openedAt < throttleMs) {
    const next: ThrottleWindow = { ...window, held: window.held + 1, firstHeldAt: window.firstHeldAt ?? now };
    return { state: { ...state, windows: { ...state.windows, [code]: next } }, send: false };
  }
  const held = window && window.held > 0 ? { count: window.held, since: window.firstHeldAt ?? window.openedAt } : undefined;
  const state2 = { ...state, windows: { ...state.windows, [code]: { openedAt: now, held: 0 } } };
  return held ? { state: state2, send: true, held } : { state: state2, send: true };
}

function firstFrame(
  state: NotifyState,
  event: Extract<NotifyEvent, { type: 'archived' }>,
  rules: ResolvedNotificationRules,
  programs: ProgramDirectory,
  now: number,
): NotifyDecision {
  const { record, file } = event;
  const program = file.program;
  const none = { state, notifications: [] };
  if (!rules.firstFrame.enabled || program === undefined || program === '') return none;
  if (!rules.firstFrame.levels.includes(file.level) || record.metadata['reingest'] === true) return none;
  const key = `${program}\u0000${file.night}`;
  if (event.earlierArchived || state.told[key] !== undefined) return none;
  const told = Object.fromEntries(Object.entries(state.told).filter(([, at]) => now - at < TOLD_MEMORY_MS));
  told[key] = now;
  const entry = Object.hasOwn(programs, program) ? programs[program] : undefined;
  const to = piAddresses(programs, program);
  if (rules.firstFrame.copyOperators) to.push(...rules.operators.filter((a) => !to.includes(a)));
  const args = { record, file, program, to, ...(entry ? { pi: entry.pi } : {}), ...(entry?.title ? { title: entry.title } : {}) };
  return { state: { ...state, told }, notifications: [firstFrameNotification(args, rules.archiveName, now)] };
}

/**
 * Decides what one event sends. Pure: the same state, event, rules and time give the same result.
 * `rules` must be resolved (see {@link resolveRules}).
 */
export function decideNotifications(
  state: NotifyState,
  event: NotifyEvent,
  rules: ResolvedNotificationRules,
  programs: ProgramDirectory,
  now: number,
): NotifyDecision {
  const { throttleMs } = rules.alerts;
  const archive = rules.archiveName;
  switch (event.type) {
    case 'archived':
      return firstFrame(state, event, rules, programs, now);
    case 'invalid':
    case 'abandoned': {
      if (!(event.type === 'invalid' ? rules.alerts.invalid : rules.alerts.abandoned)) return { state, notifications: [] };
      const t = throttle(state, event.record.error?.code ?? 'UNKNOWN', throttleMs, now);
      if (!t.send) return { state: t.state, notifications: [] };
      const kind = event.type === 'invalid' ? 'file-invalid' : 'file-abandoned';
      const context = { to: [...rules.operators], held: t.held, throttleMs, archive, now };
      return { state: t.state, notifications: [fileProblemNotification(kind, event.record, context)] };
    }
    case 'alert': {
      if (!rules.alerts.triggers) return { state, notifications: [] };
      const t = throttle(state, event.alert.code, throttleMs, now);
      if (!t.send) return { state: t.state, notifications: [] };
      const context = { to: [...rules.operators], held: t.held, throttleMs, archive, now };
      return { state: t.state, notifications: [triggerAlertNotification(event.alert, context)] };
    }
  }
}
