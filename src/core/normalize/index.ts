export * from './types.js';
export * from './date-time.js';
export * from './normalize.js';
export * from './columns.js';
export * from './night.js';
export * from './originals.js';
