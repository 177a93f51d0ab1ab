/**
 * Conformance suites for the ports, for adapter authors: call them from your tests with your test framework's
 * `it` and `expect`.
 *
 * @module
 */
export * from './catalog-conformance.js';
export * from './trigger-conformance.js';
export * from './transport-conformance.js';
export * from './fits-fixtures.js';
export * from './notifier-conformance.js';
export * from './manual-clock.js';
export * from './memory-files.js';
export * from './memory-transport.js';
