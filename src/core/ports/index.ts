export type * from './catalog.js';
export type * from './clock.js';
export type * from './files.js';
export type * from './keyword-source.js';
export type * from './logger.js';
export type * from './notifier.js';
export type * from './transport.js';
export type * from './trigger.js';
export { silentLogger } from './logger.js';
