/**
 * Notifications: who is told what and how often (pure decisions), and the wiring to an ingestor's events.
 * Delivery adapters are in `fits-ingest/notifiers/mail` and `fits-ingest/notifiers/webhook`.
 *
 * @module
 */
export * from './attach.js';
export * from './messages.js';
export * from './programs.js';
export * from './rules.js';
