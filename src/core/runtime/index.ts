export * from './engine.js';
export * from './events.js';
export type { StabilitySettings } from './_context.js';
export type { EngineSettings } from './_settings.js';
export * from './once.js';
