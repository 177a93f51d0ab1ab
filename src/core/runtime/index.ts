export * from './engine.js';
export * from './events.js';
export type { StabilitySettings } from './_context.js';
