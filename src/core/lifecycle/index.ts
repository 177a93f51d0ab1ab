export * from './states.js';
export * from './record.js';
export * from './transition.js';
