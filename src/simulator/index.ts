/**
 * The instrument simulator: realistic frames and simulated nights, for demos, tests and benchmarks.
 *
 * @module
 */
export * from './frames.js';
export * from './night.js';
export * from './keywords.js';
export * from './attachments.js';
