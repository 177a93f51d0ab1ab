/**
 * Wiring of notifications to an ingestor: listens to `archived`, `invalid`, `abandoned` and `alert`, asks the
 * catalog whether an archived frame is the first of its program and night, runs the pure
 * {@link decideNotifications}, and hands each notification to the notifiers routed for its kind.
 *
 * @module
 */
import { toIngestError, type IngestError } from '../errors.js';
import type { FileRecord, Level } from '../lifecycle/record.js';
import type { ArchivedFile, Catalog } from '../ports/catalog.js';
import type { Clock } from '../ports/clock.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { Notification, NotificationKind, Notifier } from '../ports/notifier.js';
import type { TriggerAlert } from '../ports/trigger.js';
import type { Ingestor } from '../runtime/engine.js';
import { parseProgramDirectory, type ProgramDirectory } from './programs.js';
import { decideNotifications, initialNotifyState, resolveRules, type NotificationRules, type NotifyEvent } from './rules.js';

/** A notifier that gets only some kinds of notification (e.g. a chat webhook for operator alerts only). */
export interface NotifierRoute {
  notifier: Notifier;
  /** @default every kind */
  kinds?: readonly NotificationKind[];
}

/** Options of {@link attachNotifications}. */
export interface AttachNotificationsOptions {
  /** Where notifications go. Addressed notifiers (mail) skip notifications without recipients. */
  notifiers: ReadonlyArray<Notifier | NotifierRoute>;
  /** Who is told what, and the throttle window. @default {} (see notificationRulesSchema) */
  rules?: NotificationRules;
  /** Program id → PI name and addresses. @default {} (no PI mail is addressed) */
  programs?: ProgramDirectory;
  /** Time for throttle windows and notification stamps (use `systemClock` in production). */
  clock: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Called when a delivery or a catalog lookup fails; the failure is also logged. @default undefined */
  onError?(error: IngestError, notification?: Notification, notifier?: string): void;
}

/** What {@link attachNotifications} returns. */
export interface NotificationsHandle {
  /** Stops listening to the ingestor. Deliveries under way finish; await {@link idle} for them. */
  detach(): void;
  /** Resolves once every event received so far has been decided and its deliveries have finished. */
  idle(): Promise<void>;
  /** Counts since attaching. */
  stats(): { decided: number; delivered: number; failed: number };
}

type Source = Pick<Ingestor, 'on' | 'off' | 'catalog'> & Partial<Pick<Ingestor, 'instruments'>>;

/**
 * True when the catalog holds a counted frame of the same program and night archived before `file`. Files of
 * instruments in `notFrames` (descriptions with `role: attachments`) are not frames.
 */
async function earlierArchived(catalog: Catalog, file: ArchivedFile, levels: readonly Level[], notFrames: ReadonlySet<string>): Promise<boolean> {
  const others = await catalog.findArchived({ program: file.program!, nightFrom: file.night, nightTo: file.night, limit: 1000 });
  return others.some(
    (other) =>
      other.archiveId !== file.archiveId &&
      levels.includes(other.level) &&
      !notFrames.has(other.instrument) &&
      (other.archivedAt < file.archivedAt || (other.archivedAt === file.archivedAt && other.archiveId < file.archiveId)),
  );
}

/**
 * Sends notifications for an ingestor's events. Decisions are made one event at a time, in order; deliveries run
 * concurrently and never throw into the ingestor (failures go to `onError` and the logger).
 *
 * At most once: a PI mail lost to a crash between the catalog commit and the delivery is not sent again (after a
 * restart the catalog shows an earlier frame of the night).
 *
 * @throws IngestError INVALID_OPTIONS for bad rules or a bad program directory.
 */
export function attachNotifications(ingestor: Source, options: AttachNotificationsOptions): NotificationsHandle {
  const rules = resolveRules(options.rules);
  const programs = parseProgramDirectory(options.programs ?? {});
  const logger = options.logger ?? silentLogger;
  const routes = options.notifiers.map((entry) => ('notifier' in entry ? entry : { notifier: entry }));
  // Attachments (wrapped logs, weather, notes) are archived files but not frames: they never make a first frame.
  const notFrames = new Set((ingestor.instruments ?? []).filter((d) => d.role === 'attachments').map((d) => d.name));
  let state = initialNotifyState;
  let chain: Promise<void> = Promise.resolve();
  const deliveries = new Set<Promise<void>>();
  const counts = { decided: 0, delivered: 0, failed: 0 };

  const report = (error: IngestError, notification?: Notification, notifier?: string): void => {
    logger.error('notification failed', { error: error.toJSON(), kind: notification?.kind, notifier });
    try {
      options.onError?.(error, notification, notifier);
    } catch {
      // A throwing error handler cannot break the ingestor.
    }
  };

  const deliver = (notification: Notification): void => {
    for (const { notifier, kinds } of routes) {
      if (kinds && !kinds.includes(notification.kind)) continue;
      if (notifier.capabilities.addressed && notification.to.length === 0) {
        logger.warn('notification has no recipient', { kind: notification.kind, notifier: notifier.name, data: notification.data });
        continue;
      }
      const delivery = notifier
        .send(notification)
        .then(() => void counts.delivered++)
        .catch((error: unknown) => {
          counts.failed++;
          report(toIngestError(error), notification, notifier.name);
        })
        .finally(() => deliveries.delete(delivery));
      deliveries.add(delivery);
    }
  };

  const handle = async (event: NotifyEvent | Omit<Extract<NotifyEvent, { type: 'archived' }>, 'earlierArchived'>): Promise<void> => {
    let full: NotifyEvent;
    if (event.type === 'archived') {
      const { file } = event;
      const key = `${file.program}\u0000${file.night}`;
      const counted = rules.firstFrame.enabled && file.program && rules.firstFrame.levels.includes(file.level) && !notFrames.has(file.instrument);
      if (!counted || state.told[key] !== undefined) return;
      full = { ...event, earlierArchived: await earlierArchived(ingestor.catalog, file, rules.firstFrame.levels, notFrames) };
    } else {
      full = event;
    }
    const decision = decideNotifications(state, full, rules, programs, options.clock.now());
    state = decision.state;
    counts.decided += decision.notifications.length;
    decision.notifications.forEach(deliver);
  };

  const enqueue = (event: Parameters<typeof handle>[0]): void => {
    chain = chain.then(() => handle(event)).catch((error: unknown) => report(toIngestError(error)));
  };
  const listeners = {
    archived: (record: FileRecord, file: ArchivedFile) => enqueue({ type: 'archived', record, file }),
    invalid: (record: FileRecord) => enqueue({ type: 'invalid', record }),
    abandoned: (record: FileRecord) => enqueue({ type: 'abandoned', record }),
    alert: (alert: TriggerAlert) => enqueue({ type: 'alert', alert }),
  };
  ingestor.on('archived', listeners.archived);
  ingestor.on('invalid', listeners.invalid);
  ingestor.on('abandoned', listeners.abandoned);
  ingestor.on('alert', listeners.alert);

  return {
    detach() {
      ingestor.off('archived', listeners.archived);
      ingestor.off('invalid', listeners.invalid);
      ingestor.off('abandoned', listeners.abandoned);
      ingestor.off('alert', listeners.alert);
    },
    async idle() {
      for (;;) {
        const current = chain;
        await current;
        await Promise.allSettled([...deliveries]);
        if (current === chain && deliveries.size === 0) return;
      }
    },
    stats: () => ({ ...counts }),
  };
}
