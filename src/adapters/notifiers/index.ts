/**
 * Notifications: `attachNotifications` (who is told what, throttled per error code, on an ingestor's events),
 * the pure decisions behind it, and the program directory. Delivery adapters: `fits-ingest/notifiers/mail` and
 * `fits-ingest/notifiers/webhook`.
 *
 * @example
 * ```ts
 * import { attachNotifications, loadProgramDirectory } from 'fits-ingest/notifiers'
 * import { createMailNotifier } from 'fits-ingest/notifiers/mail'
 * import { systemClock } from 'fits-ingest'
 *
 * attachNotifications(ingestor, {
 *   notifiers: [createMailNotifier({ transport: { host: 'smtp.example.org' }, from: 'archive@example.org' })],
 *   rules: { operators: ['ops@example.org'], archiveName: 'KOA' },
 *   programs: await loadProgramDirectory('/etc/fits-ingest/programs.yaml'),
 *   clock: systemClock,
 * })
 * ```
 *
 * @module
 */
export * from '../../core/notify/index.js';
export { loadProgramDirectory } from './program-directory.js';
